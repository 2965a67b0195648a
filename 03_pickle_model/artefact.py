"""The model artefact: a pickle, and a JSON metadata file beside it that says how to trust it.

    models/fraud_model.pkl    the trained scikit-learn Pipeline, pickled (protocol 5)
    models/fraud_model.json   what it is: versions, feature schema, threshold, metrics, the
                              pickle's SHA-256, and ``artefact_sha256``: one digest of both files

``artefact_sha256`` covers the pickle *and* the metadata (which sets the threshold and the validation
ranges): it is the SHA-256 of a two-line manifest, the pickle's SHA-256 and the SHA-256 of the metadata's
canonical JSON without this field (:func:`artefact_digest`). What a digest stored beside the files does and
does not protect against:

- it catches damage and accidents: a file cut short, one file replaced without the other, a threshold
  edited by hand. :func:`load_artefact` refuses files that disagree with each other;
- it does not catch an attacker who can write the files: they rewrite both, digest included, and the
  pair agrees with itself. Only a digest kept *elsewhere* catches that: the app's FRAUD_MODEL_SHA256, set
  as a platform config var, outside the bundle. :func:`load_artefact` given ``expected_sha256`` refuses
  any other artefact, even a self-consistent one.

Why the check matters: unpickling *executes code*. A pickle is a small program that rebuilds
objects, and it may call any function it names (``os.system`` included). So we load only
artefacts we made ourselves, and we verify that the bytes are exactly the ones we wrote (the
SHA-256 in the metadata) *before* unpickling them.

Why the versions matter: a pickle stores an object's internal attributes, not a portable
description of the model. Another version of scikit-learn may have renamed or changed those
attributes, so a model pickled with one version may fail, or worse, silently predict something
else, with another. scikit-learn warns about this with ``InconsistentVersionWarning`` ("Trying to
unpickle estimator ... from version X when using version Y"); :func:`load_artefact` turns that,
and any difference between the versions in the metadata and the running ones, into one
:class:`ArtefactVersionWarning` in plain words.

This module uses only the standard library at import time: the Flask app (chapter 04) imports it
as a top-level module ``artefact``, and the deploy bundle copies it next to the app.
Paths in messages are printed as they were given, never made absolute.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import pickle
import platform
import tempfile
import warnings
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

PICKLE_PROTOCOL = 5
#: The packages whose versions a pickled scikit-learn model depends on, as pip names them.
LIBRARIES = ("scikit-learn", "numpy", "pandas")
#: What every metadata file must hold (``artefact`` is added by :func:`save_artefact`).
REQUIRED_KEYS = (
    "model_version",
    "model",
    "versions",
    "features",
    "target",
    "threshold",
    "threshold_goal",
    "metrics",
    "training_data",
    "reference",
    "seed",
    "trained_at",
)
RETRAIN = "retrain with `make model`"

__all__ = [
    "LIBRARIES",
    "PICKLE_PROTOCOL",
    "REQUIRED_KEYS",
    "ArtefactError",
    "artefact_digest",
    "ArtefactVersionWarning",
    "current_versions",
    "dumps",
    "load_artefact",
    "metadata_path",
    "read_metadata",
    "save_artefact",
    "sha256_of",
    "to_array",
    "to_frame",
    "version_differences",
]


class ArtefactError(Exception):
    """The artefact cannot be trusted or read; the message names the file and the reason."""


class ArtefactVersionWarning(UserWarning):
    """The artefact was made with other library versions than the running ones."""


def sha256_of(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, as 64 hexadecimal characters."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_json(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def artefact_digest(payload: bytes, metadata: dict) -> str:
    """The digest of an artefact: the SHA-256 of a manifest of its pickle's and its metadata's SHA-256.

    The metadata is hashed as canonical JSON without its own ``artefact_sha256`` field, so that the
    digest can be stored in it; any other change to the metadata (the threshold, a range) changes it.
    """
    described = {key: value for key, value in metadata.items() if key != "artefact_sha256"}
    manifest = (
        f"pickle sha256 {hashlib.sha256(payload).hexdigest()}\n"
        f"metadata sha256 {hashlib.sha256(canonical_json(described)).hexdigest()}\n"
    )
    return hashlib.sha256(manifest.encode("ascii")).hexdigest()


def dumps(model: Any) -> bytes:
    """The bytes :func:`save_artefact` writes for ``model`` (pickle protocol 5)."""
    return pickle.dumps(model, protocol=PICKLE_PROTOCOL)


def metadata_path(pkl_path: str | os.PathLike) -> Path:
    """Where the metadata of ``pkl_path`` lives: the same name with ``.json``."""
    return Path(pkl_path).with_suffix(".json")


def current_versions() -> dict[str, str]:
    """The running Python's version and those of :data:`LIBRARIES` (``"not installed"`` if absent)."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    A rename within one folder is atomic: a reader sees the old file or the new one, never half
    of one, even if the process dies while writing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file readable by its owner only; give it the usual permissions, so that
        # an app running as another user (in a container, say) can read it.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_artefact(model: Any, metadata: dict, pkl_path: str | os.PathLike) -> dict:
    """Pickle ``model`` to ``pkl_path`` and write its metadata to the ``.json`` beside it.

    The metadata gets an ``"artefact"`` entry: the pickle's file name, SHA-256 and size. The JSON
    is written with sorted keys and an indent of 2, so the same metadata gives the same text.
    Both files are written atomically; the pickle first, so a crash between the two leaves an old
    JSON whose hash no longer matches, which :func:`load_artefact` refuses. Returns the full metadata.
    """
    missing = [key for key in REQUIRED_KEYS if key not in metadata]
    if missing:
        raise ValueError(f"the metadata lacks {', '.join(missing)}")
    pkl_path = Path(pkl_path)
    payload = dumps(model)
    full = {
        **metadata,
        "artefact": {
            "file": pkl_path.name,
            "sha256": hashlib.sha256(payload).hexdigest(),
            "bytes": len(payload),
            "pickle_protocol": PICKLE_PROTOCOL,
        },
    }
    full["artefact_sha256"] = artefact_digest(payload, full)
    text = json.dumps(full, sort_keys=True, indent=2, allow_nan=False) + "\n"
    _write_atomically(pkl_path, payload)
    _write_atomically(metadata_path(pkl_path), text.encode("utf-8"))
    return full


def read_metadata(pkl_path: str | os.PathLike, json_path: str | os.PathLike | None = None) -> dict:
    """Read and check the metadata of ``pkl_path`` (without touching the pickle)."""
    json_path = metadata_path(pkl_path) if json_path is None else json_path
    try:
        text = Path(json_path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtefactError(f"{json_path}: not found; the metadata must sit beside the pickle — {RETRAIN}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ArtefactError(f"{json_path}: cannot be read ({error}) — {RETRAIN}") from None
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as error:
        raise ArtefactError(f"{json_path}: not valid JSON ({error}) — {RETRAIN}") from None
    if not isinstance(metadata, dict):
        raise ArtefactError(f"{json_path}: holds a JSON {type(metadata).__name__}, not an object — {RETRAIN}")
    missing = [key for key in (*REQUIRED_KEYS, "artefact", "artefact_sha256") if key not in metadata]
    if missing:
        raise ArtefactError(f"{json_path}: lacks {', '.join(missing)}; it was not written by save_artefact — {RETRAIN}")
    recorded = metadata["artefact"]
    if not (isinstance(recorded, dict) and isinstance(recorded.get("sha256"), str)):
        raise ArtefactError(f"{json_path}: has no artefact.sha256 to check the pickle against — {RETRAIN}")
    return metadata


def _verified_bytes(pkl_path: str | os.PathLike, metadata: dict) -> bytes:
    """The pickle's bytes, read once, after checking their size and SHA-256 against the metadata.

    Hashing the very bytes that will be unpickled (rather than the file, then reading it again)
    leaves no moment in which the file could change between the check and the load.
    """
    try:
        payload = Path(pkl_path).read_bytes()
    except FileNotFoundError:
        raise ArtefactError(f"{pkl_path}: not found — {RETRAIN}") from None
    except OSError as error:
        raise ArtefactError(f"{pkl_path}: cannot be read ({error}) — {RETRAIN}") from None
    expected = metadata["artefact"]["sha256"]
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        size = metadata["artefact"].get("bytes")
        why = "the file was changed or damaged"
        if isinstance(size, int) and len(payload) != size:
            why = f"the file is {len(payload)} bytes instead of {size}: it was cut short, changed or damaged"
        raise ArtefactError(
            f"{pkl_path}: SHA-256 is {actual[:12]}…, the metadata says {expected[:12]}…; "
            f"{why} after training — {RETRAIN}"
        )
    return payload


def version_differences(recorded: dict) -> list[str]:
    """One line per version in ``recorded`` that differs from the running one.

    Python is compared on major.minor only (3.11.7 and 3.11.9 pickle alike); the libraries exactly. A library
    that is not installed is no difference: the deployed app leaves out pandas, which trains the model but is
    never needed to score (a pickle that did need it would not unpickle: ModuleNotFoundError names it).
    """
    running = current_versions()
    lines = []
    for name, was in sorted(recorded.items()):
        now, was = running.get(name), str(was)
        if now is None or now == "not installed":
            continue
        same = was.split(".")[:2] == now.split(".")[:2] if name == "python" else was == now
        if not same:
            lines.append(f"{name}: trained with {was}, running {now}")
    return lines


def _unpickle(pkl_path, payload: bytes, versions: dict) -> tuple[Any, list[str]]:
    """Unpickle ``payload``; return the object and what scikit-learn said about versions.

    scikit-learn's ``InconsistentVersionWarning`` is caught (by name, so this module needs no
    scikit-learn import) and returned; any other warning is passed on unchanged.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = pickle.loads(payload)  # safe only because the SHA-256 was checked first
        except Exception as error:
            differences = version_differences(versions)
            hint = f" (versions differ: {'; '.join(differences)})" if differences else ""
            raise ArtefactError(
                f"{pkl_path}: cannot be unpickled: {type(error).__name__}: {error}{hint} — "
                f"install the versions in the metadata (`make setup`) or {RETRAIN}"
            ) from error
    said = []
    for warning in caught:
        if type(warning.message).__name__ == "InconsistentVersionWarning":
            message = warning.message
            said.append(f"{message.estimator_name} pickled with scikit-learn {message.original_sklearn_version}")
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno,
                                   source=warning.source)
    return model, sorted(set(said))


def _check_digest(pkl_path, payload: bytes, metadata: dict, expected_sha256: str | None) -> None:
    """Refuse files that disagree with each other, and, when pinned, any artefact but the pinned one."""
    actual = artefact_digest(payload, metadata)
    if actual != metadata["artefact_sha256"]:
        raise ArtefactError(
            f"{pkl_path}: the artefact digest of the pickle and its metadata is {actual[:12]}…, the metadata "
            f"says {str(metadata['artefact_sha256'])[:12]}…; the metadata was edited or the files do not "
            f"belong together — {RETRAIN}"
        )
    if expected_sha256 is not None and actual != expected_sha256.lower():
        raise ArtefactError(
            f"{pkl_path}: artefact_sha256 is {actual[:12]}…, but the pin (FRAUD_MODEL_SHA256) is "
            f"{expected_sha256[:12]}…; this is not the artefact that was approved"
        )


def load_artefact(
    pkl_path: str | os.PathLike,
    json_path: str | os.PathLike | None = None,
    *,
    expected_sha256: str | None = None,
    refuse_version_skew: bool = False,
) -> tuple[Any, dict]:
    """Load a model saved by :func:`save_artefact`, after checking that it can be trusted.

    1. Read the metadata (``json_path``, by default the ``.json`` beside ``pkl_path``): a missing,
       invalid or incomplete file raises :class:`ArtefactError`.
    2. Read the pickle's bytes and compare their SHA-256 with the metadata *before* unpickling:
       a missing, truncated or changed file raises :class:`ArtefactError`, and none of its code runs.
       Then check ``artefact_sha256`` (pickle and metadata together), and, if ``expected_sha256`` is
       given (a pin kept outside the artefact), that it is that one.
    3. Unpickle. If the running Python (major.minor), scikit-learn, numpy or pandas differ from the
       versions in the metadata, or scikit-learn raises its ``InconsistentVersionWarning`` (the
       pickle holds estimators saved by another scikit-learn version, which may not behave the same
       in this one), emit **one** :class:`ArtefactVersionWarning` that names each difference and
       what to do about it. With ``refuse_version_skew`` (a production server), raise one
       :class:`ArtefactError` instead: before unpickling when the metadata names other versions, after it
       when scikit-learn says so.

    Returns ``(model, metadata)``.
    """
    metadata = read_metadata(pkl_path, json_path)
    payload = _verified_bytes(pkl_path, metadata)
    _check_digest(pkl_path, payload, metadata, expected_sha256)
    recorded = metadata["versions"] if isinstance(metadata["versions"], dict) else {}
    if refuse_version_skew and version_differences(recorded):
        _refuse_skew(pkl_path, version_differences(recorded))
    model, sklearn_said = _unpickle(pkl_path, payload, recorded)
    differences = version_differences(recorded)
    if sklearn_said:
        differences.append("scikit-learn's InconsistentVersionWarning: " + "; ".join(sklearn_said))
    if differences and refuse_version_skew:
        _refuse_skew(pkl_path, differences)
    if differences:
        lines = "\n".join(f"  - {line}" for line in differences)
        warnings.warn(
            f"{pkl_path} was made with other versions than this Python runs:\n{lines}\n"
            "A pickled model is only guaranteed to behave the same with the versions it was made with: "
            f"install those (`make setup` installs the course's pinned versions) or {RETRAIN}.",
            ArtefactVersionWarning,
            stacklevel=2,
        )
    return model, metadata


def _refuse_skew(pkl_path, differences: list[str]) -> None:
    raise ArtefactError(
        f"{pkl_path}: was made with other library versions ({'; '.join(differences)}); a pickled model is only "
        f"guaranteed to behave the same with its own: install those or {RETRAIN} (FRAUD_ALLOW_VERSION_SKEW=on "
        "serves it anyway)"
    )


def to_array(rows: list[dict], features: list[dict]):
    """The pipeline's input for ``rows`` (dicts of feature values): a NumPy array, the features in schema order.

    Column ``i`` is ``features[i]``, whatever order the dicts hold their keys in; one row per dict. An array of
    Python objects (numbers, a category's name, flags): the pipeline's own steps turn each column into numbers.
    No pandas: for the one transaction of a request, building a DataFrame would cost more than the model.
    Imports numpy only when called.
    """
    import numpy as np  # here, not at the top: importing this module needs the standard library only

    names = [feature["name"] for feature in features]
    values = map(operator.itemgetter(*names), rows)  # one tuple per row, the values in schema order
    return np.array(list(values), dtype=object).reshape(len(rows), len(names))


def to_frame(rows: list[dict], features: list[dict]):
    """A pandas DataFrame of ``rows`` (dicts of feature values) with the columns and dtypes of ``features``.

    Use it to turn validated input (from a form, a JSON body) into what the pipeline was trained
    on: the columns in the schema's order and with its types, whatever order or types came in.
    Imports pandas only when called.
    """
    import pandas as pd  # here, not at the top: importing this module needs the standard library only

    dtypes = {"float": "float64", "int": "int64", "bool": "bool", "category": "str"}
    columns = {}
    for feature in features:
        name = feature["name"]
        columns[name] = pd.Series([row[name] for row in rows], dtype=dtypes[feature["type"]], name=name)
    return pd.DataFrame(columns)
