"""The API's contract as pydantic models, built from the model's feature schema.

The feature schema in the artefact's metadata says, per feature, its type, its range or its
categories. :func:`transaction_model` turns it into a pydantic (v2) model, and that one model
does three jobs, so they can never disagree:

- it **validates** every transaction the app receives (``Schema.validate``, the API and the form);
- its JSON Schema is the request body of the **OpenAPI description** (fraud_app.openapi);
- the FastAPI twin of chapter 04 declares its endpoint with the **same class**.

The rules are strict, as the app's validation has always been: a number field takes an integer or
a decimal but never ``true`` or ``"42"``, an integer field refuses ``3.5`` and ``3.0``, a yes/no field
takes only ``true`` or ``false``, a category only one of its strings, and an unknown field is refused
(``extra="forbid"``), not ignored.

Why pydantic, and not a Flask extension that describes the API (APIFlask, flask-smorest, spectree,
flask-openapi3): each of those ties the description to Flask's views, with their own decorators and
their own schema library (marshmallow for flask-smorest and APIFlask); the FastAPI twin could not use
any of it. pydantic is the library FastAPI itself is built on, it is well kept, fast (its core is in
Rust) and it writes JSON Schema. So the models here are plain pydantic, known to both apps; Flask
calls them in two lines, and fraud_app.openapi writes the description from their JSON Schema.

pydantic's own error messages are written for programmers ("Input should be a valid integer"). A
client of this API gets messages in people's words instead, naming the field and the rule, always the
same ones (:func:`problems`); the form words them once more for the person typing (fraud_app.schema).
"""

from __future__ import annotations

import functools
import heapq
import keyword
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, Strict
from typing_extensions import TypedDict  # pydantic needs typing_extensions' TypedDict on Python < 3.12

__all__ = [
    "Problem", "ValidationError", "json_type", "transaction_model", "batch_model", "problems",
    "validate_transaction", "validate_batch", "valid_batch", "field_problem", "MAX_PROBLEMS",
]

#: At most this many problems in an error answer (``details``); the answer says how many more were found
#: (``omitted``). A hostile body of 90,000 unknown keys once got a 34 MB answer: the client sends little and
#: the server writes a lot. Twenty is more than a real client ever needs to fix its request at once.
MAX_PROBLEMS = 20
#: At most this many problems are repeated in the error's one-line ``message`` (all of them are in details).
MESSAGE_PROBLEMS = 5
#: A value or a name echoed in a message is cut to this many characters.
ECHO_CHARS = 40
#: The most digits a whole number may have, in JSON (fraud_app.api) and in the form (fraud_app.schema): no
#: transaction field needs more, and Python itself refuses to read one past 4300 digits.
MAX_INT_DIGITS = 100

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

#: Every model is strict (no "42" for 42, no 1 for true) and refuses fields it does not know.
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


@dataclass(frozen=True)
class Problem:
    """One rule broken by one field."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class ValidationError(ValueError):
    """Raised with the problems found in one input: at most MAX_PROBLEMS of them, ``omitted`` more not listed."""

    def __init__(self, problems: list[Problem], summary: str | None = None, details: list[dict] | None = None,
                 omitted: int = 0):
        self.problems = problems
        self.details = details if details is not None else [p.as_dict() for p in problems]
        self.omitted = omitted
        super().__init__(summary or "; ".join(p.message for p in problems))


def echo(value: Any) -> str:
    """``value`` as text to repeat in a message, cut to ECHO_CHARS characters (a name or a string may be huge)."""
    text = str(value)
    return text if len(text) <= ECHO_CHARS else f"{text[:ECHO_CHARS]}... ({len(text)} characters)"


def json_type(value: Any) -> str:
    return JSON_TYPES.get(type(value), type(value).__name__)


# --- The models ---------------------------------------------------------------------------------------------

def field_type(feature: dict) -> Any:
    """The pydantic type of one feature: its Python type, strict, with its range or categories."""
    kind = feature["type"]
    about = {"title": feature.get("label") or feature["name"], "description": feature.get("description")}
    if "default" in feature:  # an example, not a default: every field is required
        about["examples"] = [feature["default"]]
    if feature.get("unit"):
        about["json_schema_extra"] = {"x-unit": feature["unit"]}
    if kind in ("float", "int"):
        # Both edges are allowed: min <= value <= max (ge: greater or equal, le: less or equal).
        bounds = {"ge": feature["min"], "le": feature["max"]}
        if kind == "float":
            return Annotated[float, Strict(), Field(**bounds, allow_inf_nan=False, **about)]
        return Annotated[int, Strict(), Field(**bounds, **about)]
    if kind == "bool":
        return Annotated[bool, Strict(), Field(**about)]
    if kind == "category":
        return Annotated[Literal[tuple(feature["categories"])], Field(**about)]  # only these strings: strict already
    raise ValueError(f"feature {feature['name']!r} has a type the app does not know: {kind!r}")


def check_name(name: str) -> str:
    """A feature's name, if it can be a field of a pydantic model (and of a Python class)."""
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith(("_", "model_")) or hasattr(
        BaseModel, name
    ):
        raise ValueError(f"feature name {name!r} cannot name a field: use letters, digits and underscores")
    return name


@functools.lru_cache(maxsize=64)  # one class per Schema (an app has one): tests make many apps
def transaction_model(schema) -> type[BaseModel]:
    """The pydantic model of one transaction: one required field per feature of ``schema``.

    Built once per Schema (the cache holds it), so an app validates with the same class all its life.
    Raises ValueError for a feature the app cannot describe (an unknown type, a name no field can have).
    """
    fields = {check_name(feature["name"]): (field_type(feature), ...) for feature in schema.features}
    return pydantic.create_model(
        "Transaction",
        __config__=ConfigDict(**STRICT, title="Transaction", json_schema_extra={"example": example(schema)}),
        __doc__="One card transaction, as the model's feature schema describes it.",
        **fields,
    )


@functools.lru_cache(maxsize=64)
def batch_model(schema, max_items: int = 1000) -> type[BaseModel]:
    """``{"transactions": [...]}``: between 1 and ``max_items`` transactions (FRAUD_MAX_BATCH)."""
    transactions = Annotated[
        list[transaction_model(schema)],
        Strict(),
        Field(min_length=1, max_length=max_items, description=f"1 to {max_items} transactions, scored in order"),
    ]
    return pydantic.create_model(
        "TransactionBatch",
        __config__=ConfigDict(**STRICT, title="TransactionBatch"),
        __doc__="Several transactions scored in one request; the answers come back in the same order.",
        transactions=(transactions, ...),
    )


def example(schema) -> dict:
    """A transaction made of each feature's default: what the form shows before anyone types."""
    return {feature["name"]: feature["default"] for feature in schema.features if "default" in feature}


# --- Validating, and saying what is wrong in people's words -------------------------------------------------

def validate_transaction(schema, data: Any) -> dict:
    """A clean transaction (decimals as floats) from untrusted JSON, or ValidationError naming its problems.

    Unknown keys are taken aside before pydantic sees the object: pydantic checks only the schema's own
    fields (at most as many as the schema has), however many keys the object carries, and the unknown ones
    are counted, and the first MAX_PROBLEMS of them (by name) named. An object of 90,000 unknown keys costs
    a pass over its keys, not 90,000 errors built, sorted and written.
    """
    found, unknown = transaction_problems(schema, data)
    if found is None:
        return unknown  # the clean transaction
    raise invalid(schema, found, unknown)


def transaction_problems(schema, data: Any) -> tuple[list[Problem] | None, Any]:
    """(None, the clean transaction), or (the problems of its known fields, the unknown keys)."""
    unknown: list = []
    if isinstance(data, dict):
        unknown = [key for key in data if key not in schema.by_name]
        if unknown:
            data = {key: value for key, value in data.items() if key in schema.by_name}
    try:
        clean = dict(transaction_model(schema).model_validate(data).__dict__)
    except pydantic.ValidationError as error:
        return problems(schema, error.errors(include_url=False)), unknown
    if not unknown:
        return None, clean
    return [], unknown


def invalid(schema, found: list[Problem], unknown: list) -> ValidationError:
    """The ValidationError of one transaction: missing fields, then unknown ones (sorted), then the rest."""
    required = [p for p in found if p.rule == "required"]
    listed = required + [unknown_problem(name) for name in heapq.nsmallest(MAX_PROBLEMS, unknown, key=str)]
    listed += [p for p in found if p.rule != "required"]
    total = len(found) + len(unknown)
    return ValidationError(listed[:MAX_PROBLEMS], summary(listed, total, schema.names),
                           omitted=max(0, total - MAX_PROBLEMS))


def validate_batch(schema, items: Any, max_items: int) -> list[dict]:
    """Clean transactions from a batch's ``transactions`` array, or ValidationError.

    The array itself first (an array, 1 to ``max_items`` long); then the invalid transactions, each
    problem with the ``index`` of its transaction: the first MAX_PROBLEMS problems, and how many more.
    Each transaction is checked as a single one is (:func:`transaction_problems`), so that unknown keys
    cost no more in a batch than alone.
    """
    if not isinstance(items, list):
        message = f"'transactions' must be an array, got {json_type(items)}"
        raise ValidationError([Problem("transactions", "batch", message)], message)
    if not 1 <= len(items) <= max_items:
        message = f"'transactions' must hold between 1 and {max_items} transactions, got {len(items)}"
        raise ValidationError([Problem("transactions", "batch", message)], message)
    clean, details, invalid_items, total = [], [], 0, 0
    for index, item in enumerate(items):
        found, result = transaction_problems(schema, item)
        if found is None:
            clean.append(result)
            continue
        invalid_items += 1
        error = invalid(schema, found, result)
        total += len(error.problems) + error.omitted
        details += [{"index": index, **p.as_dict()} for p in error.problems[:MAX_PROBLEMS - len(details)]]
    if not invalid_items:
        return clean
    message = f"{invalid_items} of {len(items)} transactions are invalid"
    raise ValidationError([], message, details, omitted=total - len(details))


def valid_batch(schema, text: str, max_items: int) -> list[dict] | None:
    """The clean transactions of ``text`` if it is a valid batch body, ``{"transactions": [...]}``; else None.

    pydantic parses and validates the JSON text in one pass, in its Rust core, with the batch model's own rules:
    for a batch of 1,000 that is a few times faster than ``json.loads`` and then :func:`validate_batch`. It only
    ever *accepts*: for anything it refuses (malformed JSON, NaN, a single transaction, any invalid value) it
    returns None, and the caller takes its usual path (``json.loads`` with the API's checks, then
    :func:`validate_batch`), which says what is wrong exactly as before. tests/test_parity.py checks, on bodies
    chosen to differ (NaN, duplicate keys, 3.0 for an integer, a byte-order mark, ...), that it accepts nothing the
    usual path refuses, and gives the same transactions when both accept.
    """
    if text.startswith("\ufeff"):  # json.loads refuses a byte-order mark; leave it to say so
        return None
    try:
        return _batch_of_dicts(schema, max_items).validate_json(text)["transactions"]
    except pydantic.ValidationError:
        return None


@functools.lru_cache(maxsize=64)
def _batch_of_dicts(schema, max_items: int) -> pydantic.TypeAdapter:
    """The batch model's rules (the same field types, strict, no unknown field), giving plain dicts: TypedDicts
    instead of model classes, so that no model object is built per transaction only to be turned into a dict."""
    transaction = TypedDict(  # noqa: UP013 (the names come from the schema)
        "Transaction", {check_name(feature["name"]): field_type(feature) for feature in schema.features}
    )
    transaction.__pydantic_config__ = STRICT
    batch = TypedDict(  # noqa: UP013
        "TransactionBatch",
        # fail_fast: this path only accepts, so it stops at the first invalid transaction instead of building
        # an error for every key of every one (1,000 transactions of 100 unknown keys: 100,000 errors, 35 MB)
        {"transactions": Annotated[list[transaction], Strict(),
                                   Field(min_length=1, max_length=max_items, fail_fast=True)]},
    )
    batch.__pydantic_config__ = STRICT
    return pydantic.TypeAdapter(batch)


def problems(schema, errors: list[dict]) -> list[Problem]:
    """pydantic's errors for one transaction as Problems: missing fields first (in the schema's order),
    then unknown ones (sorted), then each broken rule in the schema's order."""
    found = [problem(schema, e) for e in errors]
    order = {name: i for i, name in enumerate(schema.names)}
    rank = {"required": 0, "unknown": 1}
    return sorted(found, key=lambda p: (rank.get(p.rule, 2), order.get(p.field, -1), p.field))


def summary(found: list[Problem], total: int | None = None, names: list[str] | None = None) -> str:
    """One message for people: every missing field in one sentence, then the first other problems.

    ``found`` is what is listed (in order), ``total`` how many problems there are in all. Past
    MESSAGE_PROBLEMS, the message says how many more there are; if a field is unknown, it names ``names``,
    the fields a transaction has, once (each problem's own message stays short).
    """
    total = len(found) if total is None else total
    missing = [p.field for p in found if p.rule == "required"]
    others = [p for p in found if p.rule != "required"]
    parts = [f"missing required field(s): {', '.join(missing)}"] if missing else []
    parts += [p.message for p in others[:MESSAGE_PROBLEMS]]
    text = "; ".join(parts)
    more = total - len(missing) - min(len(others), MESSAGE_PROBLEMS)
    if more > 0:
        text += f"; and {more} more problem{'s' if more > 1 else ''}"
    if names and any(p.rule == "unknown" for p in others):
        text += f" (a transaction's fields are {', '.join(names)})"
    return text


def problem(schema, error: dict) -> Problem:
    """One pydantic error (its type, where, the value) as the rule it breaks, in the API's words."""
    kind, value = error["type"], error.get("input")
    if not error["loc"]:
        return Problem("(body)", "type", f"a transaction must be a JSON object, got {json_type(value)}")
    name = str(error["loc"][0])
    if kind == "missing":
        return Problem(name, "required", f"field '{name}' is required")
    if kind == "extra_forbidden":
        return unknown_problem(name)
    return value_problem(schema.by_name[name], value, kind)


def unknown_problem(name: Any) -> Problem:
    """A key the schema does not have: named (cut if long), without repeating every field's name."""
    return Problem(echo(name), "unknown", f"unknown field '{echo(name)}'")


def value_problem(feature: dict, value: Any, kind: str) -> Problem:
    """The rule a value broke, from pydantic's error type ``kind``, worded from the feature's own data."""
    name, feature_type = feature["name"], feature["type"]
    if kind == "finite_number":
        return Problem(name, "finite", f"field '{name}' must be a finite number")
    out_of_range = kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than") or (
        # an integer too large for a float: out of range, not of the wrong type
        kind == "float_type" and type(value) is int
    )
    if out_of_range:
        low, high = feature["min"], feature["max"]
        return Problem(name, "range", f"field '{name}' must be between {low} and {high}, got {echo(value)}")
    if feature_type == "category" and type(value) is str:
        listed = ", ".join(feature["categories"])
        return Problem(name, "category", f"field '{name}' must be one of {listed}, got '{echo(value)}'")
    wanted = {
        "float": "a number", "int": "an integer", "bool": "a boolean (true or false)", "category": "a string"
    }[feature_type]
    return Problem(name, "type", f"field '{name}' must be {wanted}, got {json_type(value)}")


@functools.cache
def _field_adapter(feature_items: tuple) -> pydantic.TypeAdapter:
    feature = dict(feature_items)
    return pydantic.TypeAdapter(field_type(feature))


def field_problem(feature: dict, value: Any) -> Problem | None:
    """The rule ``value`` breaks for ``feature`` alone, or None: the same type as the model's field."""
    frozen = tuple((key, tuple(item) if isinstance(item, list) else item) for key, item in feature.items())
    try:
        _field_adapter(frozen).validate_python(value)
    except pydantic.ValidationError as error:
        return value_problem(feature, value, error.errors(include_url=False)[0]["type"])
    return None


# --- What the API answers: the response shapes, for the description (and the twin's response_model) --------

def _optional(schema: dict) -> None:
    """An optional field that is never null: absent rather than ``null``, so the schema shows no default."""
    schema.pop("default", None)


Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class Prediction(BaseModel):
    """The model's answer for one transaction: the decision for anyone, the probability with the token."""

    model_config = ConfigDict(extra="forbid", title="Prediction")
    fraud_probability: Probability = Field(
        None, json_schema_extra=_optional,
        description="How likely the transaction is fraud, 0 to 1 (6 decimals). Only with the token "
                    "(or when the server runs the open demo, FRAUD_OPEN_DEMO=on)",
    )
    is_fraud: bool = Field(description="The decision: fraud_probability >= threshold")
    threshold: Probability = Field(None, json_schema_extra=_optional,
                                   description="The model's decision threshold. Only with the token, or the open demo")
    model_version: str = Field(description="The version of the model that answered (the model card's)")


class PredictionBatch(BaseModel):
    """The answers for a batch, in the order of its transactions."""

    model_config = ConfigDict(extra="forbid", title="PredictionBatch")
    predictions: list[Prediction]


class Label(BaseModel):
    """The confirmed outcome of a stored prediction: was it really fraud?"""

    model_config = ConfigDict(**STRICT, title="Label")
    is_fraud: Annotated[bool, Strict()] = Field(description="true: confirmed fraud; false: legitimate")


class ErrorDetail(BaseModel):
    """One problem: the field, the rule it breaks, a message; ``index``: which transaction of a batch."""

    model_config = ConfigDict(extra="forbid", title="ErrorDetail")
    index: Annotated[int, Field(ge=0)] = Field(None, json_schema_extra=_optional)
    field: str
    rule: str
    message: str


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid", title="ErrorBody")
    code: str = Field(description="A stable machine-readable name, such as validation_failed or not_found")
    message: str = Field(description="What went wrong, for a person")
    details: list[ErrorDetail] = Field(None, json_schema_extra=_optional, max_length=MAX_PROBLEMS,
                                       description=f"One entry per problem, the first {MAX_PROBLEMS} at most")
    omitted: Annotated[int, Field(ge=1)] = Field(
        None, json_schema_extra=_optional, description="How many more problems were found than details lists"
    )


class Error(BaseModel):
    """Every error of the API has this shape; the HTTP status carries the class of error."""

    model_config = ConfigDict(extra="forbid", title="Error")
    error: ErrorBody


class Health(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Health")
    status: Literal["ok"]
    model_version: str


class ModelCard(BaseModel):
    """The model's metadata (the JSON beside the artefact). Without the token only its public part: what the model
    is and takes (schema, versions, digest); with it, all of it (threshold, metrics, reference distributions, seed)."""

    model_config = ConfigDict(extra="allow", title="ModelCard")
    model_version: str
    artefact_sha256: Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
    features: list[dict[str, Any]] = Field(description="The feature schema: name, type, range or categories")
    threshold: Probability = Field(None, json_schema_extra=_optional, description="Only with the token")
    metrics: dict[str, Any] = Field(None, json_schema_extra=_optional, description="Only with the token")
    withheld: list[str] = Field(None, json_schema_extra=_optional,
                                description="Without the token: the keys of the card that the token would add")


@functools.lru_cache(maxsize=64)
def stored_model(schema) -> type[BaseModel]:
    """A stored prediction: its id, the transaction it scored, the answer, the label, two timestamps."""
    stamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    return pydantic.create_model(
        "StoredPrediction",
        __config__=ConfigDict(extra="forbid", title="StoredPrediction"),
        __doc__="A prediction kept by the service, with the confirmed outcome once it is known.",
        id=(Annotated[int, Field(ge=1)], ...),
        inputs=(transaction_model(schema), ...),
        fraud_probability=(Probability, ...),
        is_fraud=(bool, ...),
        threshold=(Probability, ...),
        model_version=(str, ...),
        label=(bool | None, Field(description="The confirmed outcome; null until it is known")),
        created_at=(stamp, ...),
        updated_at=(stamp, ...),
    )


@functools.lru_cache(maxsize=64)
def page_model(schema) -> type[BaseModel]:
    """A page of stored predictions, oldest first; ``next`` links to the following page (null on the last)."""
    return pydantic.create_model(
        "PredictionPage",
        __config__=ConfigDict(extra="forbid", title="PredictionPage"),
        items=(list[stored_model(schema)], ...),
        total=(Annotated[int, Field(ge=0)] | None, Field(
            description="How many are stored in all: on the first page (no `after`) only, null after it")),
        limit=(Annotated[int, Field(ge=1)], ...),
        offset=(Annotated[int, Field(ge=0)], ...),
        after=(Annotated[int, Field(ge=0)] | None, Field(description="The `after` of the request, or null")),
        next=(str | None, Field(description="The following page, relative to this URL "
                                            "(`predictions?limit=N&after=ID`); null on the last page")),
    )
