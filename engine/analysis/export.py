"""Export a result or a comparison as Markdown, CSV or JSON (same numbers as the app).

CSV and JSON carry raw numbers under the docs/model.md §9 names (empty / null where a
value is not available); Markdown carries the formatted values a reader wants. Optional
P10/P50/P90 columns come from whatif.engine.analysis.uncertainty. `write_atomic` never clobbers a
file unless told to.
"""

from __future__ import annotations

import csv
import io
import json

from whatif.engine.analysis.compare import SETUP_ROWS, Comparison, finite_or_none
from whatif.engine.analysis.uncertainty import MonteCarlo
from whatif.engine.atomic import write_atomic  # noqa: F401  (re-exported for the app)
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import NUMERIC_OUTPUTS, Result
from whatif.engine.units import QUANTITIES, fmt

FORMATS = ("md", "csv", "json")


def result_markdown(result: Result, mc: MonteCarlo | None = None) -> str:
    s, r = result.scenario, result.resolved
    lines = [f"# {s.name or 'Scenario'}", ""]
    if s.description:
        lines += [s.description, ""]
    lines += [f"{s.cluster.count:,} x {r.chip.name}, {r.precision}, {r.cooling.name}, {r.region.name}, "
              f"mode {r.mode}", ""]
    header = "| Output | Value |" + (" P10 | P50 | P90 |" if mc else "")
    lines += [header, "|---|---:|" + ("---:|---:|---:|" if mc else "")]
    for name in NUMERIC_OUTPUTS:
        row = f"| {QUANTITIES[name].label} | {fmt(name, result.values[name])} |"
        if mc:
            band = mc.bands[name]
            row += f" {fmt(name, band.p10)} | {fmt(name, band.p50)} | {fmt(name, band.p90)} |"
        lines.append(row)
    if mc:
        lines += ["", f"P10/P50/P90: {mc.samples:,} {mc.distribution} Monte Carlo draws, seed {mc.seed}."]
    if result.warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- **{w.code}**: {w.message}" for w in result.warnings]
    return "\n".join(lines) + "\n"


def result_csv(result: Result, mc: MonteCarlo | None = None) -> str:
    """One header row of docs/model.md §9 names and one row of values (plus p10/p50/p90 rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", *NUMERIC_OUTPUTS, "mfu_estimated", "goodput_estimated", "warnings"])
    v = result.values
    writer.writerow(["value", *(_csv_number(v[n]) for n in NUMERIC_OUTPUTS), bool(v["mfu_estimated"]),
                     bool(v["goodput_estimated"]), ";".join(result.warning_codes())])
    if mc:
        for label, attr in (("p10", "p10"), ("p50", "p50"), ("p90", "p90")):
            writer.writerow([label, *(_csv_number(getattr(mc.bands[n], attr)) for n in NUMERIC_OUTPUTS), "", "", ""])
    return buffer.getvalue()


def result_json(result: Result, mc: MonteCarlo | None = None) -> str:
    data: dict[str, object] = {"scenario": result.scenario.name, "outputs": result.outputs()}
    if mc:
        data["uncertainty"] = _mc_dict(mc)
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _mc_dict(mc: MonteCarlo) -> dict[str, object]:
    return {
        "samples": mc.samples, "seed": mc.seed, "distribution": mc.distribution,
        "percentiles": {n: {"p10": finite_or_none(b.p10), "p50": finite_or_none(b.p50), "p90": finite_or_none(b.p90)}
                        for n, b in mc.bands.items()},
        "ranges": [{"input": r.key, "low": r.low, "likely": r.likely, "high": r.high, "source": r.source}
                   for r in mc.ranges],
        "notes": mc.notes,
    }


def export_result(result: Result, fmt_name: str, mc: MonteCarlo | None = None) -> str:
    return {"md": result_markdown, "csv": result_csv, "json": result_json}[_check(fmt_name)](result, mc)


def compare_text(c: Comparison) -> str:
    """Aligned columns for a terminal: each value with its delta against the first below it."""
    n = len(c.columns)
    label_w = max(len(QUANTITIES[name].label) for name in c.outputs)
    cells = {name: [c.cell(i, name) for i in range(n)] for name in c.outputs}
    deltas = {name: [c.delta_text(i, name) for i in range(n)] for name in c.outputs}
    widths = [min(28, max([len(c.columns[i].name)] + [len(cells[o][i]) for o in c.outputs]
                          + [len(deltas[o][i]) for o in c.outputs] + [len(c.setup_text(i, k)) for k, _ in SETUP_ROWS]))
              for i in range(n)]

    def row(label: str, texts: list[str]) -> str:
        return f"{label:<{label_w}}" + "".join(f"  {t[:w]:>{w}}" for t, w in zip(texts, widths))

    lines = [row("", [col.name for col in c.columns])]
    lines += [row(label, [c.setup_text(i, key) for i in range(n)]) for key, label in SETUP_ROWS]
    lines.append("")
    for name in c.outputs:
        lines.append(row(QUANTITIES[name].label, cells[name]))
        if any(d and d != "same" for d in deltas[name]):
            lines.append(row("", deltas[name]))
    lines += ["", row("Warnings", [", ".join(col.result.warning_codes()) or "-" for col in c.columns])]
    return "\n".join(lines)


def compare_markdown(c: Comparison) -> str:
    names = [col.name for col in c.columns]
    lines = ["| | " + " | ".join(_md(n) for n in names) + " |", "|---|" + "---:|" * len(names)]
    for key, label in SETUP_ROWS:
        lines.append(f"| {label} | " + " | ".join(_md(c.setup_text(i, key)) for i in range(len(names))) + " |")
    for name in c.outputs:
        cells = []
        for i in range(len(c.columns)):
            delta = c.delta_text(i, name)
            cells.append(c.cell(i, name) + (f" ({delta})" if delta and delta != "same" else ""))
        lines.append(f"| {QUANTITIES[name].label} | " + " | ".join(cells) + " |")
    lines.append("| Warnings | " + " | ".join(", ".join(col.result.warning_codes()) or "-" for col in c.columns) + " |")
    return f"Deltas are against the first column ({_md(names[0])}).\n\n" + "\n".join(lines) + "\n"


def compare_csv(c: Comparison) -> str:
    """Rows = outputs; columns = each scenario's value, then each later scenario's raw delta
    against the first ("B - A")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [col.name for col in c.columns]
    writer.writerow(["output", *names, *(f"{n} - {names[0]}" for n in names[1:])])
    for key, _ in SETUP_ROWS:
        writer.writerow([key, *(col.setup()[key] for col in c.columns), *([""] * (len(names) - 1))])
    for name in c.outputs:
        values = [_csv_number(c.value(i, name)) for i in range(len(names))]
        deltas = [_csv_number(c.delta(i, name)) for i in range(1, len(names))]
        writer.writerow([name, *values, *deltas])
    return buffer.getvalue()


def compare_json(c: Comparison) -> str:
    data = {
        "baseline": c.first.name,
        "scenarios": [{"name": col.name, "setup": col.setup(), "outputs": col.result.outputs()} for col in c.columns],
        "deltas": {col.name: {n: finite_or_none(c.delta(i, n)) for n in c.outputs}
                   for i, col in enumerate(c.columns) if i},
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def export_compare(c: Comparison, fmt_name: str) -> str:
    return {"md": compare_markdown, "csv": compare_csv, "json": compare_json}[_check(fmt_name)](c)


def _check(fmt_name: str) -> str:
    if fmt_name not in FORMATS:
        raise WhatifError(f"unknown format '{fmt_name}'; allowed: {', '.join(FORMATS)}", key="format")
    return fmt_name


def _csv_number(value: float) -> str:
    v = finite_or_none(float(value))
    return "" if v is None else repr(v)


def _md(text: str) -> str:
    return text.replace("|", "\\|")
