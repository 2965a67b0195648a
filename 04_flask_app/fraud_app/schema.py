"""Input validation driven by the feature schema in the model's metadata.

The same schema builds the web form, checks API requests (through its pydantic model, built in
fraud_app.contract), describes the API (fraud_app.openapi) and orders the model's columns, so they
can never disagree. Every problem is reported, each naming its field and the rule it breaks, so that
a client can fix everything in one go; the form says it again in words for the person typing.
"""

from __future__ import annotations

import math
import re
from typing import Any

from fraud_app import contract
from fraud_app.contract import JSON_TYPES, MAX_INT_DIGITS, Problem, ValidationError, echo, json_type

__all__ = ["JSON_TYPES", "Problem", "Schema", "ValidationError", "check_value", "json_type"]


class Schema:
    """The model's features: name, type, range or categories, description, default, unit."""

    def __init__(self, features: list[dict]):
        self.features = features
        self.names = [feature["name"] for feature in features]
        self.by_name = {feature["name"]: feature for feature in features}
        # The pydantic model of a transaction (fraud_app.contract), built once, here, not for every request.
        self.model = contract.transaction_model(self)

    def validate(self, data: Any) -> dict:
        """A clean transaction from untrusted JSON, or ValidationError listing every problem."""
        return contract.validate_transaction(self, data)

    def validate_batch(self, items: Any, max_items: int) -> list[dict]:
        """Clean transactions from a batch's array, or ValidationError (problems named by index)."""
        return contract.validate_batch(self, items, max_items)

    def parse_form(self, form: dict[str, str]) -> tuple[dict | None, dict[str, str]]:
        """Turn a web form's strings into a transaction; returns (transaction or None, {field: message}).

        Every field is checked in one pass, so a person sees every problem at once, in words
        that name the field by its label.
        """
        typed, messages = {}, {}
        for feature in self.features:
            name, raw = feature["name"], (form.get(feature["name"]) or "").strip()
            try:
                typed[name] = convert_text(feature, raw)
            except ValueError as error:
                messages[name] = str(error)
        try:
            transaction = self.validate(typed)
        except ValidationError as error:
            transaction = None
            # The model's rules, in words for the person who typed the value (a missing field already has one).
            for problem in error.problems:
                if problem.field in typed:
                    messages.setdefault(problem.field, form_message(self.by_name[problem.field], typed[problem.field]))
        if messages:
            return None, messages
        return transaction, {}


def check_value(feature: dict, value: Any) -> Problem | None:
    """The first rule ``value`` breaks for ``feature``, or None. A bool is never a number here.

    The same rules as the transaction model's field (fraud_app.contract), for one value alone.
    """
    return contract.field_problem(feature, value)


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


#: Numbers as the API reads them: ASCII digits only (Python's float() and int() also take "1_4", "٥" and " 7 "),
#: an optional minus, a decimal point, an exponent. A whole number has at most as many digits as the API takes.
DECIMAL = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
WHOLE = re.compile(r"-?[0-9]+")
NOT_FINITE = ("nan", "inf", "infinity")


def convert_text(feature: dict, raw: str) -> Any:
    """A form field's text as the feature's type; ValueError with a message for a person."""
    kind, label = feature["type"], label_of(feature)
    if raw == "":
        raise ValueError(f"{label} is required")
    if kind == "float":
        if "," in raw:  # "12,50" or "1,000"? Refuse rather than guess.
            raise ValueError(f"{label}: write decimals with a dot (12.50) and no thousands separator")
        if raw.lower().lstrip("+-") in NOT_FINITE:
            raise ValueError(f"{label} must be a finite number; you entered {echo(raw)!r}")
        if not DECIMAL.fullmatch(raw):
            raise ValueError(f"{label} must be a number, such as 42.50; you entered {echo(raw)!r}")
        value = float(raw)
        if not math.isfinite(value):  # "1e999"
            raise ValueError(f"{label} must be a finite number; you entered {echo(raw)!r}")
        return value
    if kind == "int":
        if not WHOLE.fullmatch(raw):
            raise ValueError(f"{label} must be a whole number, such as 3; you entered {echo(raw)!r}")
        if len(raw.lstrip("-")) > MAX_INT_DIGITS:
            low, high = number_text(feature["min"], feature), number_text(feature["max"], feature)
            raise ValueError(f"{label} must be between {low} and {high}; you entered a number of "
                             f"{len(raw.lstrip('-'))} digits")
        return int(raw)
    if kind == "bool":
        if raw not in ("true", "false"):
            raise ValueError(f"{label}: choose yes or no")
        return raw == "true"
    return raw
