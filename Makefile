# Two commands do all setup on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench calibrate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Bytecode first: Python writes none when PYTHONDONTWRITEBYTECODE is set, and compiling
# engine/ and tui/ at every start costs ~100 ms (up-to-date files are skipped).
run: $(STAMP)
	@$(BIN)/python -m compileall -q whatif engine cli tui serve
	$(BIN)/whatif

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Performance figures (printed, never asserted): engine, analysis, plan, start-up, app, SSH, web,
# presenter mode.
bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/plan.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/tui.py
	$(BIN)/python bench/ssh.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/presenter.py

calibrate: $(STAMP)
	$(BIN)/python bench/calibration.py

clean:
	rm -rf $(VENV) build *.egg-info
