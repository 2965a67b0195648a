"""The artefact format (03_pickle_model/artefact.py): what it writes, and everything it refuses to load.
At the end, the chapter's helper that loads a pickle in a fresh Python process (pickle_demo.py).

These tests use a tiny model fitted in milliseconds; tests/test_train.py checks the real one.
"""

import hashlib
import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import artefact
import pickle_demo
from artefact import ArtefactError, ArtefactVersionWarning, load_artefact, save_artefact

ROOT = Path(__file__).resolve().parent.parent


def minimal_metadata(**changes) -> dict:
    """Metadata with every required key, as small as it can be."""
    metadata = {
        "model_version": "0.0.1+test",
        "model": "tiny",
        "versions": artefact.current_versions(),
        "features": [{"name": "x", "type": "float", "min": 0.0, "max": 3.0, "default": 1.0, "description": "x"}],
        "target": {"name": "y", "type": "bool"},
        "threshold": 0.5,
        "threshold_goal": {"recall_target": 0.8},
        "metrics": {},
        "training_data": {},
        "reference": {"method": "psi", "threshold": 0.2, "features": {}},
        "seed": 0,
        "trained_at": "2026-01-01T00:00:00Z",
    }
    return {**metadata, **changes}


class Touch:
    """Unpickling this object creates a file: the stand-in for a pickle that runs harmful code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def tiny_model():
    """A logistic regression on one feature: fitted in milliseconds, pickled in a few hundred bytes."""
    return LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [False, False, True, True])


@pytest.fixture
def saved(tmp_path, monkeypatch, tiny_model) -> Path:
    """The tiny model saved as ``models/tiny.pkl``, with the current folder set so that path is relative."""
    monkeypatch.chdir(tmp_path)
    path = Path("models/tiny.pkl")
    save_artefact(tiny_model, minimal_metadata(), path)
    return path


def rewrite_metadata(path: Path, **changes) -> None:
    """Change the metadata as a trainer would have written it: its artefact_sha256 is recomputed (from the
    pickle as it is now), so only the change under test differs."""
    json_path = path.with_suffix(".json")
    metadata = json.loads(json_path.read_text())
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        target = metadata
        for parent in parents:
            target = target[parent]
        target[key] = value
    metadata["artefact_sha256"] = artefact.artefact_digest(path.read_bytes(), metadata)
    json_path.write_text(json.dumps(metadata))


def test_round_trip_gives_the_same_model_and_metadata(saved, tiny_model):
    model, metadata = load_artefact(saved)
    X = np.array([[0.5], [2.5]])
    assert np.array_equal(model.predict_proba(X), tiny_model.predict_proba(X))
    assert metadata == {**minimal_metadata(), "artefact": metadata["artefact"],
                        "artefact_sha256": artefact.artefact_digest(saved.read_bytes(), metadata)}


def test_the_digest_covers_the_metadata_too(saved):
    """A threshold written into the JSON by hand, digest untouched: refused."""
    json_path = saved.with_suffix(".json")
    metadata = json.loads(json_path.read_text())
    json_path.write_text(json.dumps({**metadata, "threshold": 0.999}))
    with pytest.raises(ArtefactError, match="the metadata was edited"):
        load_artefact(saved)


def test_a_pin_refuses_a_self_consistent_artefact_that_is_not_the_pinned_one(saved):
    pin = json.loads(saved.with_suffix(".json").read_text())["artefact_sha256"]
    load_artefact(saved, expected_sha256=pin)
    rewrite_metadata(saved, threshold=0.999)  # both files agree: only the pin can tell
    load_artefact(saved)
    with pytest.raises(ArtefactError, match=r"the pin \(FRAUD_MODEL_SHA256\)"):
        load_artefact(saved, expected_sha256=pin)


def test_save_returns_the_metadata_it_wrote(tmp_path, tiny_model):
    written = save_artefact(tiny_model, minimal_metadata(), tmp_path / "m.pkl")
    assert written == json.loads((tmp_path / "m.json").read_text())


def test_metadata_records_file_name_hash_and_size(saved):
    recorded = json.loads(saved.with_suffix(".json").read_text())["artefact"]
    payload = saved.read_bytes()
    assert recorded == {"file": "tiny.pkl", "sha256": hashlib.sha256(payload).hexdigest(), "bytes": len(payload),
                        "pickle_protocol": 5}
    assert artefact.sha256_of(saved) == recorded["sha256"]
    assert payload[:2] == b"\x80\x05", "pickle protocol 5"


def test_metadata_json_is_sorted_indented_and_ends_with_a_newline(saved):
    text = saved.with_suffix(".json").read_text()
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"


def test_save_leaves_no_temporary_file_and_readable_permissions(tmp_path, tiny_model):
    old_umask = os.umask(0o022)
    try:
        save_artefact(tiny_model, minimal_metadata(), tmp_path / "m.pkl")
    finally:
        os.umask(old_umask)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m.json", "m.pkl"]
    assert all((tmp_path / name).stat().st_mode & 0o777 == 0o644 for name in ("m.json", "m.pkl"))


def test_a_failed_save_keeps_the_previous_artefact_whole(saved, tiny_model, monkeypatch):
    before = {path.name: path.read_bytes() for path in saved.parent.iterdir()}

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(artefact.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_artefact(LogisticRegression(), minimal_metadata(model_version="2"), saved)
    assert {path.name: path.read_bytes() for path in saved.parent.iterdir()} == before


def test_save_refuses_incomplete_metadata(tmp_path, tiny_model):
    metadata = minimal_metadata()
    del metadata["threshold"]
    with pytest.raises(ValueError, match="threshold"):
        save_artefact(tiny_model, metadata, tmp_path / "m.pkl")
    assert not list(tmp_path.iterdir())


def flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


@pytest.mark.parametrize(
    ("damage", "culprit", "reason"),
    [
        (flip_one_byte, "models/tiny.pkl", "SHA-256 is"),
        (truncate, "models/tiny.pkl", "bytes instead of"),
        (lambda pkl: pkl.unlink(), "models/tiny.pkl", "not found"),
        (lambda pkl: pkl.with_suffix(".json").unlink(), "models/tiny.json", "not found"),
        (lambda pkl: pkl.with_suffix(".json").write_text("{not json"), "models/tiny.json", "not valid JSON"),
        (lambda pkl: pkl.with_suffix(".json").write_text("[]"), "models/tiny.json", "not an object"),
        (lambda pkl: rewrite_metadata(pkl, artefact__sha256="0" * 64), "models/tiny.pkl", "the metadata says 000000"),
        (lambda pkl: rewrite_metadata(pkl, artefact={}), "models/tiny.json", "no artefact.sha256"),
    ],
    ids=["one byte flipped", "truncated", "pickle missing", "json missing", "invalid json", "json not an object",
         "wrong hash", "no hash"],
)
def test_a_damaged_artefact_is_refused_naming_the_file(saved, damage, culprit, reason):
    damage(saved)
    with pytest.raises(ArtefactError) as caught:
        load_artefact(saved)
    message = str(caught.value)
    assert message.startswith(f"{culprit}: ")
    assert reason in message
    assert "make model" in message
    assert os.getcwd() not in message, "paths are printed as given, never made absolute"


@pytest.mark.parametrize("key", ["threshold", "features", "versions", "model_version", "reference"])
def test_metadata_missing_a_required_key_is_refused(saved, key):
    json_path = saved.with_suffix(".json")
    metadata = json.loads(json_path.read_text())
    del metadata[key]
    json_path.write_text(json.dumps(metadata))
    with pytest.raises(ArtefactError, match=rf"^models/tiny.json: lacks {key};"):
        load_artefact(saved)


def test_metadata_can_live_elsewhere(saved, tiny_model):
    moved = saved.with_name("card.json")
    saved.with_suffix(".json").rename(moved)
    model, metadata = load_artefact(saved, moved)
    assert metadata["model"] == "tiny"


def test_a_pickle_with_the_wrong_hash_never_runs(tmp_path):
    marker = tmp_path / "the pickle ran"
    path = tmp_path / "evil.pkl"
    save_artefact(Touch(marker), minimal_metadata(), path)
    rewrite_metadata(path, artefact__sha256=hashlib.sha256(b"what the trainer wrote").hexdigest())

    with pytest.raises(ArtefactError, match="SHA-256 is"):
        load_artefact(path)
    assert not marker.exists()

    # The control: with the right hash the same file does run, so the check above is what stopped it.
    rewrite_metadata(path, artefact__sha256=artefact.sha256_of(path))
    load_artefact(path)
    assert marker.exists()


def test_a_pickle_swapped_for_another_one_is_refused(saved, tmp_path):
    marker = tmp_path / "the pickle ran"
    saved.write_bytes(pickle.dumps(Touch(marker), protocol=5))
    with pytest.raises(ArtefactError, match="SHA-256 is"):
        load_artefact(saved)
    assert not marker.exists()


def test_a_pickle_that_cannot_be_unpickled_gives_an_artefact_error(tmp_path):
    path = tmp_path / "lost.pkl"
    save_artefact(None, minimal_metadata(), path)
    path.write_bytes(b"cmodule_that_does_not_exist\nTransformer\n.")  # a protocol-0 pickle naming a missing class
    rewrite_metadata(path, artefact__sha256=artefact.sha256_of(path), artefact__bytes=path.stat().st_size)
    with pytest.raises(ArtefactError, match="cannot be unpickled: ModuleNotFoundError"):
        load_artefact(path)


def test_other_library_versions_give_one_plain_warning(saved):
    rewrite_metadata(saved, versions={"python": "2.7.18", "scikit-learn": "0.24.2", "numpy": "1.19.5",
                                      "pandas": artefact.current_versions()["pandas"]})
    with pytest.warns(ArtefactVersionWarning) as record:
        model, _ = load_artefact(saved)
    assert len(record) == 1
    message = str(record[0].message)
    assert message.startswith("models/tiny.pkl was made with other versions")
    assert f"scikit-learn: trained with 0.24.2, running {sklearn.__version__}" in message
    assert "numpy: trained with 1.19.5" in message
    assert "python: trained with 2.7.18" in message
    assert "pandas" not in message
    assert "make setup" in message
    assert "make model" in message
    assert record[0].filename == __file__, "the warning points at the caller of load_artefact"
    assert model is not None


def test_a_library_left_out_of_the_deployment_is_no_version_difference(saved, monkeypatch):
    """The served app installs no pandas (it trains the model, it does not score): not a mismatch."""
    running = artefact.current_versions()
    monkeypatch.setattr(artefact, "current_versions", lambda: {**running, "pandas": "not installed"})
    rewrite_metadata(saved, versions={**running, "pandas": "2.2.3"})
    assert artefact.version_differences({**running, "pandas": "2.2.3"}) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_artefact(saved)


def test_another_python_patch_release_does_not_warn(saved):
    python = artefact.current_versions()["python"].rsplit(".", 1)[0] + ".0"
    rewrite_metadata(saved, versions__python=python)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_artefact(saved)


def test_sklearns_inconsistent_version_warning_is_folded_into_the_plain_one(saved):
    """A pickle made by another scikit-learn: its estimators carry that version, and scikit-learn warns."""
    current = sklearn.__version__
    made_up = "0" + current[1:]  # same length, so the pickle's byte counts stay right
    payload = saved.read_bytes()
    old = payload.replace(b"\x8c" + bytes([len(current)]) + current.encode(),
                          b"\x8c" + bytes([len(made_up)]) + made_up.encode())
    assert old != payload
    saved.write_bytes(old)
    rewrite_metadata(saved, artefact__sha256=artefact.sha256_of(saved))

    with pytest.warns(ArtefactVersionWarning) as record:
        load_artefact(saved)
    assert [type(warning.message) for warning in record] == [ArtefactVersionWarning]
    message = str(record[0].message)
    assert f"InconsistentVersionWarning: LogisticRegression pickled with scikit-learn {made_up}" in message
    assert "scikit-learn: trained with" not in message, "the metadata itself agrees with the running versions"


def test_other_warnings_while_unpickling_are_passed_on(tmp_path):
    class Warns:
        def __reduce__(self):
            return (warnings.warn, ("a warning from inside the pickle",))

    path = tmp_path / "warns.pkl"
    save_artefact(Warns(), minimal_metadata(), path)
    with pytest.warns(UserWarning, match="a warning from inside the pickle") as record:
        load_artefact(path)
    assert not [warning for warning in record if issubclass(warning.category, ArtefactVersionWarning)]


def test_sha256_of_matches_hashlib(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 3_000_000)
    assert artefact.sha256_of(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_metadata_path_is_the_pickles_name_with_json():
    assert artefact.metadata_path("models/fraud_model.pkl") == Path("models/fraud_model.json")


def test_to_frame_follows_the_schema_whatever_the_input_order():
    features = [{"name": "amount", "type": "float"}, {"name": "hour", "type": "int"},
                {"name": "merchant_category", "type": "category"}, {"name": "is_online", "type": "bool"}]
    rows = [{"is_online": True, "hour": 3, "amount": 12, "merchant_category": "fuel"}]
    df = artefact.to_frame(rows, features)
    assert list(df.columns) == ["amount", "hour", "merchant_category", "is_online"]
    assert [str(dtype) for dtype in df.dtypes[["amount", "hour", "is_online"]]] == ["float64", "int64", "bool"]
    assert df.iloc[0].to_dict() == {"amount": 12.0, "hour": 3, "merchant_category": "fuel", "is_online": True}


def test_importing_artefact_needs_only_the_standard_library():
    """The Flask app imports this module; it must not drag in pandas, scikit-learn or train.py."""
    code = ("import sys; sys.path.insert(0, '03_pickle_model'); import artefact; "
            "print(sorted({'numpy', 'pandas', 'sklearn', 'train'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# -- pickle_demo: loading a pickle as a server would ----------------------------------------------


def defined_in_this_test_module(X):
    """A function a fresh Python cannot find: this test module is not importable from there."""
    return X


def test_fresh_python_loads_library_objects_and_names_what_it_cannot_find():
    outcomes = pickle_demo.load_each_in_fresh_python({
        "scaler": StandardScaler(),
        "log1p": FunctionTransformer(np.log1p),
        "ours": FunctionTransformer(defined_in_this_test_module),
    })
    assert list(outcomes) == ["scaler", "log1p", "ours"], "in the order given"
    assert outcomes["scaler"] == (True, "loaded StandardScaler")
    assert outcomes["log1p"] == (True, "loaded FunctionTransformer")
    assert not outcomes["ours"].loaded
    assert outcomes["ours"].message.startswith("ModuleNotFoundError: No module named "), outcomes["ours"]


def test_fresh_python_is_not_confused_by_what_unpickling_prints():
    """The Announcer of the notebook prints while it is unpickled; the outcome is still one clean line."""
    class Announcer:
        def __reduce__(self):
            return (print, ("I ran while being unpickled!",))

    assert pickle_demo.load_in_fresh_python(Announcer()) == (True, "loaded NoneType")


def test_fresh_python_reports_a_process_that_failed(monkeypatch):
    monkeypatch.setattr(pickle_demo, "LOADER", "import sys; sys.exit('the loader broke')")
    assert pickle_demo.load_in_fresh_python(1) == (False, "the process failed: the loader broke")
