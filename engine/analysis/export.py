"""Export a result or a comparison as Markdown, CSV or JSON (same numbers as the app).

A result's export carries the inputs too (chip, count, region..., each with its unit and
where its value came from), then the outputs under the docs/model.md §9 names. CSV is one
row per quantity (kind, key, label, value, unit, origin, source, P10/P50/P90), ready for a
spreadsheet, with numbers exact but tidy (12 significant digits, empty where a value is not
available); JSON the same as data; Markdown the values as the app shows them. Optional
P10/P50/P90 come from whatif.engine.analysis.uncertainty.
"""

from __future__ import annotations

import csv
import io
import json

from whatif.engine.analysis.compare import SETUP_ROWS, Comparison, finite_or_none
from whatif.engine.analysis.uncertainty import MonteCarlo
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import NUMERIC_OUTPUTS, Result
from whatif.engine.inputs import INPUTS
from whatif.engine.units import QUANTITIES, fmt

FORMATS = ("md", "csv", "json")


def input_rows(result: Result) -> list[dict[str, object]]:
    """Every scenario input as the model used it: the value (a catalog key for a choice), its
    unit, and its origin (yours, catalog, default, estimate, auto...) with the source."""
    r = result.resolved
    choices = {"cluster.chip": r.chip.key, "facility.cooling": r.cooling.key, "facility.region": r.region.key,
               "workload.precision": r.precision, "economics.mode": r.mode}
    rows = []
    set_keys = _set_keys(result)
    for spec in INPUTS:
        if spec.kind == "choice":
            value: object = choices.get(spec.key, result.scenario.get(spec.key))
            if value is None:
                value = spec.blank or ""  # left to the model, e.g. recompute 'auto'
            origin = r.origins.get(spec.field)  # cooling and region say why they default
            kind, source = (("input", "set in the scenario") if spec.key in set_keys
                            else (origin.kind, origin.source) if origin else ("default", ""))
        else:
            origin = r.origins[spec.name]
            value, kind, source = r.values[spec.name], origin.kind, origin.source
            if spec.auto is not None and origin.kind == "auto":
                value = result.values[spec.auto]
        rows.append({"key": spec.key, "label": spec.label, "value": value, "unit": spec.unit,
                     "origin": kind, "source": source})
    return rows


def _set_keys(result: Result) -> set[str]:
    s = result.scenario
    return {f"{group}.{name}" for group in ("workload", "cluster", "facility", "economics")
            for name in getattr(s, group).model_fields_set}


def _input_text(row: dict[str, object]) -> str:
    value = row["value"]
    if isinstance(value, str):
        return value
    name = next(spec.name for spec in INPUTS if spec.key == row["key"])
    return fmt(name, float(value))  # type: ignore[arg-type]


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
    lines += ["", "## Inputs", "", "| Input | Value | From |", "|---|---:|---|"]
    lines += [f"| {row['label']} | {_md(_input_text(row))} | {row['origin']} |" for row in input_rows(result)]
    if result.warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- **{w.code}**: {w.message}" for w in result.warnings]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("kind", "key", "label", "value", "unit", "origin", "source", "p10", "p50", "p90")


def result_csv(result: Result, mc: MonteCarlo | None = None) -> str:
    """One row per input, then one per output: kind, key, label, value, unit, origin, source
    and, with a Monte Carlo, P10/P50/P90."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in input_rows(result):
        value = row["value"]
        writer.writerow(["input", row["key"], row["label"], value if isinstance(value, str) else _csv_number(value),
                         row["unit"], row["origin"], row["source"], "", "", ""])
    for name in NUMERIC_OUTPUTS:
        q = QUANTITIES[name]
        bands = [_csv_number(getattr(mc.bands[name], p)) for p in ("p10", "p50", "p90")] if mc else ["", "", ""]
        writer.writerow(["output", name, q.label, _csv_number(result.values[name]), q.unit, "computed", "", *bands])
    v = result.values
    for name in ("mfu_estimated", "goodput_estimated"):
        writer.writerow(["flag", name, QUANTITIES[name].label, bool(v[name]), "", "computed", "", "", "", ""])
    writer.writerow(["flag", "warnings", "Warnings", ";".join(result.warning_codes()), "", "computed", "", "", "", ""])
    return buffer.getvalue()


def result_json(result: Result, mc: MonteCarlo | None = None) -> str:
    inputs = [{**row, "value": row["value"] if isinstance(row["value"], str) else finite_or_none(_tidy(row["value"]))}
              for row in input_rows(result)]
    data: dict[str, object] = {"scenario": result.scenario.name, "inputs": inputs, "outputs": result.outputs()}
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


def _tidy(value: object) -> float:
    """Exact to 12 significant digits: 0.35672555519999993 reads 0.3567255552."""
    return float(f"{float(value):.12g}")  # type: ignore[arg-type]


def _csv_number(value: object) -> str:
    v = finite_or_none(float(value))  # type: ignore[arg-type]
    if v is None:
        return ""
    v = _tidy(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _md(text: str) -> str:
    return text.replace("|", "\\|")
