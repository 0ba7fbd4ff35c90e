"""Words for what a person reads on screen: an input's tooltip, and engine messages with
their preset keys and output names (`cluster.count`, `training_days`) put as labels
("chips", "training time").

The engine's messages name keys because the CLI and preset files use them; the app shows
labels (issue 13 item 6: binding ids and keys belong in the docs, not on screen).
"""

from __future__ import annotations

import re

from whatif.engine.inputs import BY_KEY, Input
from whatif.engine.units import QUANTITIES

MODE_WORDS = {"rent": "renting", "own": "owning"}
# Units that are themselves magnitudes: the field's label says "B" / "T", a bound reads bare.
_MAGNITUDE_UNITS = {"B", "T"}
_HOW_TO_TYPE = {
    "count": "Type 16k for 16,384, 2e4, 32,768",
    "share": "Type 40%, 40 or 0.4",
    "number": "Type 1.5M or 2e4",  # only where the number may be large (no upper bound)
}

_KEY = re.compile(r"\b(?:workload|cluster|facility|economics)\.[a-z_]+\b")
# Output names with an underscore (one-word names such as 'mfu' also occur as plain words).
_OUTPUT = re.compile(r"(?<![\w.])(" + "|".join(sorted((re.escape(n) for n in QUANTITIES if "_" in n),
                                                       key=len, reverse=True)) + r")(?![\w.])")
_NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_IN_RANGE = re.compile(rf"\bin ({_NUMBER})\.\.({_NUMBER})")
_RANGE = re.compile(rf"({_NUMBER})\.\.({_NUMBER})")


def _plain_number(text: str) -> str:
    value = float(text)
    return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.6g}"


def _lower_first(label: str) -> str:
    """'Training time' -> 'training time' mid-sentence; 'MFU', 'CO2', 'IT power' stay."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def input_words(key: str) -> str:
    spec = BY_KEY.get(key)
    return _lower_first(spec.label) if spec else key


def output_words(name: str) -> str:
    quantity = QUANTITIES.get(name)
    return _lower_first(quantity.label) if quantity else name


def in_words(text: str) -> str:
    """An engine message as a person reads it: keys and output names become labels, ranges
    '1..1e+07' read '1 to 10,000,000' (a label that starts it gets a capital)."""
    starts_with_name = bool(_KEY.match(text) or _OUTPUT.match(text))
    text = _KEY.sub(lambda m: input_words(m.group(0)), text)
    text = _OUTPUT.sub(lambda m: output_words(m.group(1)), text)
    text = _IN_RANGE.sub(lambda m: f"between {_plain_number(m.group(1))} and {_plain_number(m.group(2))}", text)
    text = _RANGE.sub(lambda m: f"{_plain_number(m.group(1))} to {_plain_number(m.group(2))}", text)
    return text[:1].upper() + text[1:] if starts_with_name else text


def _bound(spec: Input, value: float) -> str:
    if spec.kind == "share":
        return f"{value * 100:g} %"
    unit = "" if not spec.unit or spec.unit in _MAGNITUDE_UNITS else f" {spec.unit}"
    return f"{value:,.10g}{unit}"


def allowed_range(spec: Input) -> str:
    """'1 to 100,000,000 chips', 'more than 0', 'more than 0 % and at most 100 %'."""
    low = (f"at least {_bound(spec, spec.ge)}" if spec.ge is not None else
           f"more than {_bound(spec, spec.gt)}" if spec.gt is not None else "")
    high = (f"at most {_bound(spec, spec.le)}" if spec.le is not None else
            f"less than {_bound(spec, spec.lt)}" if spec.lt is not None else "")
    if spec.ge is not None and spec.le is not None:
        return f"{_bound(spec, spec.ge).removesuffix(' ' + spec.unit)} to {_bound(spec, spec.le)}"
    return " and ".join(part for part in (low, high) if part) or "any number"


def field_tooltip(spec: Input) -> str:
    """What a number field holds, in words: its label and meaning, the values it takes, what
    an empty field means and how to type it."""
    parts = [f"{spec.label}: {spec.description}"]
    if spec.kind == "count":
        parts.append(f"A whole number, {allowed_range(spec)}")
    else:
        parts.append(f"Allowed: {allowed_range(spec)}")
    if spec.required:
        parts.append("Needed: it has no default")
    else:
        parts.append("Empty (ctrl+u): the default shown in grey")
    if spec.mode is not None:
        parts.append(f"Used only when {MODE_WORDS[spec.mode]}")
    if spec.kind != "number" or spec.high == float("inf"):
        parts.append(_HOW_TO_TYPE[spec.kind])
    return ". ".join(parts) + "."
