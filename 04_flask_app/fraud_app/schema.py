"""Input validation driven by the feature schema in the model's metadata.

The same schema builds the web form, checks API requests and orders the model's columns, so
the three can never disagree. Every problem is reported, each naming its field and the rule
it breaks, so that a client can fix everything in one go.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# JSON's names for Python's types, for messages a client can understand.
JSON_TYPES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


@dataclass(frozen=True)
class Problem:
    """One rule broken by one field."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class ValidationError(ValueError):
    """Raised with every problem found in one input."""

    def __init__(self, problems: list[Problem], summary: str | None = None):
        self.problems = problems
        super().__init__(summary or "; ".join(p.message for p in problems))


def json_type(value: Any) -> str:
    return JSON_TYPES.get(type(value), type(value).__name__)


class Schema:
    """The model's features: name, type, range or categories, description, default, unit."""

    def __init__(self, features: list[dict]):
        self.features = features
        self.names = [feature["name"] for feature in features]
        self.by_name = {feature["name"]: feature for feature in features}
        # Built once, here, not for every request: each field's check, and whether the model wants it
        # as a float (a JSON 12 arrives as the integer 12).
        self.check = {feature["name"]: checker(feature) for feature in features}
        self.checks = [(name, self.check[name], self.by_name[name]["type"] == "float") for name in self.names]

    def validate(self, data: Any) -> dict:
        """A clean transaction from untrusted JSON, or ValidationError listing every problem."""
        if not isinstance(data, dict):
            raise ValidationError(
                [Problem("(body)", "type", f"a transaction must be a JSON object, got {json_type(data)}")]
            )
        clean, problems = {}, []
        for name, check, as_float in self.checks:
            if name in data:
                problem = check(data[name])
                if problem:
                    problems.append(problem)
                else:
                    clean[name] = float(data[name]) if as_float else data[name]
        if not problems and len(clean) == len(data) == len(self.names):
            return clean  # every field, no other, each within its rules: the usual case, checked once
        missing = [name for name in self.names if name not in data]
        problems = [Problem(name, "required", f"field '{name}' is required") for name in missing] + [
            Problem(name, "unknown", f"unknown field '{name}': the model's fields are {', '.join(self.names)}")
            for name in sorted(data.keys() - self.by_name.keys())
        ] + problems
        # One message for people (every missing field in one sentence), one detail per field for programs.
        others = [p.message for p in problems if p.rule != "required"]
        summary = [f"missing required field(s): {', '.join(missing)}"] if missing else []
        raise ValidationError(problems, "; ".join(summary + others))

    def parse_form(self, form: dict[str, str]) -> tuple[dict | None, dict[str, str]]:
        """Turn a web form's strings into a transaction; returns (transaction or None, {field: message}).

        Every field is checked in one pass, so a person sees every problem at once, in words
        that name the field by its label.
        """
        typed, messages = {}, {}
        for feature in self.features:
            name, raw = feature["name"], (form.get(feature["name"]) or "").strip()
            try:
                value = convert_text(feature, raw)
            except ValueError as error:
                messages[name] = str(error)
                continue
            if self.check[name](value):
                messages[name] = form_message(feature, value)
            else:
                typed[name] = value
        if messages:
            return None, messages
        return self.validate(typed), {}


def check_value(feature: dict, value: Any) -> Problem | None:
    """The first rule ``value`` breaks for ``feature``, or None. A bool is never a number here."""
    return checker(feature)(value)


def checker(feature: dict) -> Callable[[Any], Problem | None]:
    """``check(value)``: the first rule ``value`` breaks for ``feature``, or None.

    Everything about the feature (its name, type, bounds, categories) is looked up once, here, so
    that checking a value (eight per transaction, up to a thousand transactions per request) only
    compares. A message is written only for a value that breaks a rule.
    """
    name, kind = feature["name"], feature["type"]
    if kind in ("float", "int"):
        allowed = (int, float) if kind == "float" else (int,)
        wanted = "a number" if kind == "float" else "an integer"
        low, high = feature["min"], feature["max"]

        def check_number(value: Any) -> Problem | None:
            if type(value) not in allowed:
                return Problem(name, "type", f"field '{name}' must be {wanted}, got {json_type(value)}")
            # A JSON integer can be far larger than any float; only floats can be NaN or infinite.
            if type(value) is float and not math.isfinite(value):
                return Problem(name, "finite", f"field '{name}' must be a finite number")
            if not low <= value <= high:
                return Problem(name, "range", f"field '{name}' must be between {low} and {high}, got {value}")
            return None

        return check_number
    if kind == "bool":

        def check_bool(value: Any) -> Problem | None:
            if type(value) is not bool:
                return Problem(
                    name, "type", f"field '{name}' must be a boolean (true or false), got {json_type(value)}"
                )
            return None

        return check_bool
    if kind == "category":
        categories = frozenset(feature["categories"])
        listed = ", ".join(feature["categories"])

        def check_category(value: Any) -> Problem | None:
            if type(value) is not str:
                return Problem(name, "type", f"field '{name}' must be a string, got {json_type(value)}")
            if value not in categories:
                return Problem(name, "category", f"field '{name}' must be one of {listed}, got '{value}'")
            return None

        return check_category
    return lambda value: None


def label_of(feature: dict) -> str:
    return feature.get("label") or feature["name"]


def number_text(value: float, feature: dict) -> str:
    """42.5 as "42.5", 100000 as "100,000", with the feature's unit if it has one."""
    unit = f" {feature['unit']}" if feature.get("unit") else ""
    return f"{value:,g}{unit}"


def form_message(feature: dict, value: Any) -> str:
    """What is wrong with a typed value, in words for the person who typed it."""
    if feature["type"] in ("float", "int"):
        low, high = number_text(feature["min"], feature), number_text(feature["max"], feature)
        return f"{label_of(feature)} must be between {low} and {high}; you entered {value:,g}"
    if feature["type"] == "category":
        return f"choose one of the {label_of(feature).lower()} options in the list"
    return f"{label_of(feature)}: choose yes or no"


def convert_text(feature: dict, raw: str) -> Any:
    """A form field's text as the feature's type; ValueError with a message for a person."""
    kind, label = feature["type"], label_of(feature)
    if raw == "":
        raise ValueError(f"{label} is required")
    if kind == "float":
        if "," in raw:  # "12,50" or "1,000"? Refuse rather than guess.
            raise ValueError(f"{label}: write decimals with a dot (12.50) and no thousands separator")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{label} must be a number, such as 42.50; you entered {raw!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"{label} must be a finite number; you entered {raw!r}")
        return value
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{label} must be a whole number, such as 3; you entered {raw!r}") from None
    if kind == "bool":
        if raw not in ("true", "false"):
            raise ValueError(f"{label}: choose yes or no")
        return raw == "true"
    return raw
