"""Turn pydantic errors into one line a user understands: key, bad value, what is allowed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from whatif.engine.errors import did_you_mean


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last element of `loc`, for listing allowed keys."""
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return None
        annotation = current.model_fields[part].annotation
        current = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return current


def _describe(err: dict[str, Any], model: type[BaseModel]) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        owner = _model_at(model, loc)
        allowed = sorted(owner.model_fields) if owner else []
        hint = did_you_mean(str(loc[-1]), allowed)
        listing = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"unknown key{hint}{listing}"
    if kind == "missing":
        return "required, but missing"
    shown = _shown(value)
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        want = "a whole number" if kind.startswith("int") else "a number"
        why = (" (true/false is not a number)" if isinstance(value, bool)
               else _text_hint(value) if isinstance(value, str) else "")
        return f"expected {want}, got {shown}{why}"
    if kind == "finite_number":
        return f"expected a finite number, got {shown}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": "more than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        bound = next(iter(ctx.values()), "?")
        if isinstance(bound, (int, float)) and not isinstance(bound, bool):
            bound = f"{bound:g}"  # '1', not '1.0': the bound as a person writes it
        return f"{shown} is out of range; must be {words} {bound}"
    if kind == "literal_error":
        return f"{shown} is not allowed; allowed: {ctx.get('expected', '?')}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false, got {shown}"
    if kind in ("string_type",):
        return f"expected text, got {shown}"
    if kind in ("dict_type", "model_type"):
        return f"expected a table, got {shown}"
    return f"{err['msg']} (got {shown})"


def _text_hint(text: str) -> str:
    """Why text that looks like a number is not one."""
    if len(text) > 4300 and text.lstrip("+-").isdigit():
        return " (more than 4300 digits: too long to read)"
    try:
        float(text.replace("_", ""))
    except ValueError:
        return ""
    return " (a number in quotes is text: write it without them)"


def _shown(value: Any, limit: int = 60) -> str:
    """The bad value as the message quotes it: text in quotes, TOML's true/false, cut short."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, int) and abs(value) >= 10**limit:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


def format_validation_error(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> str:
    """'key: problem' for the first error, plus a count of the others."""
    # A misspelled key also makes the real key "missing": name the misspelling first.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"])
    key = ".".join(p for p in (prefix, loc) if p)
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{key}: {_describe(first, model)}{more}"


def validation_problems(exc: ValidationError, model: type[BaseModel]) -> list[tuple[str, str]]:
    """Every error as (dotted key, problem), for marking fields in the app."""
    return [(".".join(str(p) for p in e["loc"]), _describe(e, model)) for e in exc.errors()]
