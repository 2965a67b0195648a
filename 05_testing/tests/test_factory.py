"""The app factory: configuration, the model loaded and verified once, debug off."""

import pytest

from artefact import ArtefactError
from fraud_app import create_app
from fraud_app.config import load_config


def test_config(model_path, tmp_path):
    assert not create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "d.db")}).testing
    assert create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "d.db"), "TESTING": True}).testing


def test_debug_is_off_by_default(app):
    assert not app.debug


def test_environment_configures_the_app():
    config = load_config(
        environ={
            "FRAUD_MODEL_PATH": "m.pkl",
            "FRAUD_API_TOKEN": "s3cret",
            "FRAUD_MAX_BATCH": "10",
            "FRAUD_DATABASE": "x.db",
        }
    )
    assert (config["MODEL_PATH"], config["API_TOKEN"], config["MAX_BATCH"], config["DATABASE"]) == (
        "m.pkl",
        "s3cret",
        10,
        "x.db",
    )


def test_a_mapping_overrides_the_environment():
    assert load_config({"MAX_BATCH": 5}, environ={"FRAUD_MAX_BATCH": "10"})["MAX_BATCH"] == 5


def test_a_bad_number_in_the_environment_is_named():
    with pytest.raises(ValueError, match="FRAUD_MAX_BATCH='lots' is not a valid int"):
        load_config(environ={"FRAUD_MAX_BATCH": "lots"})


def test_the_model_is_loaded_once_at_start_up(app, client, transaction):
    loaded = app.extensions["fraud_model"]
    client.post("/api/v1/predict", json=transaction)
    client.post("/api/v1/predict", json=transaction)
    assert app.extensions["fraud_model"] is loaded


def test_a_missing_model_stops_the_app(tmp_path):
    with pytest.raises(ArtefactError, match=r"nothing\.json: not found"):
        create_app({"MODEL_PATH": str(tmp_path / "nothing.pkl"), "DATABASE": str(tmp_path / "d.db")})


def test_a_tampered_model_stops_the_app(model_path, tmp_path):
    tampered = tmp_path / "fraud_model.pkl"
    data = bytearray(model_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    (tmp_path / "fraud_model.json").write_text(model_path.with_suffix(".json").read_text())
    with pytest.raises(ArtefactError, match="SHA-256"):
        create_app({"MODEL_PATH": str(tampered), "DATABASE": str(tmp_path / "d.db")})


def test_the_database_is_created_in_wal_mode(app):
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(app.config["DATABASE"])) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == 0
