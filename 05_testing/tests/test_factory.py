"""The app factory: configuration, the model loaded and verified once, debug off."""

import pytest

from artefact import ArtefactError
from fraud_app import create_app
from fraud_app.config import ConfigError, load_config


def test_the_defaults_are_the_documented_ones():
    config = load_config(environ={})
    assert (config["MAX_BATCH"], config["MAX_CONTENT_LENGTH"], config["LOG_LEVEL"]) == (1000, 1024 * 1024, "INFO")
    assert (config["API_TOKEN"], config["MODEL_SHA256"], config["PLATFORM"]) == (None, None, None)


def test_environment_configures_the_app():
    config = load_config(
        environ={
            "FRAUD_MODEL_PATH": "m.pkl",
            "FRAUD_API_TOKEN": "s3cret-0123456789",
            "FRAUD_MAX_BATCH": "10",
            "FRAUD_DATABASE": "x.db",
        }
    )
    assert (config["MODEL_PATH"], config["API_TOKEN"], config["MAX_BATCH"], config["DATABASE"]) == (
        "m.pkl",
        ("s3cret-0123456789",),
        10,
        "x.db",
    )


def test_a_mapping_overrides_the_environment():
    assert load_config({"MAX_BATCH": 5}, environ={"FRAUD_MAX_BATCH": "10"})["MAX_BATCH"] == 5


@pytest.mark.parametrize(
    ("variable", "value", "accepts"),
    [
        ("FRAUD_MAX_BATCH", "lots", "a whole number from 1 to 100000"),
        ("FRAUD_MAX_BATCH", "-5", "a whole number from 1 to 100000"),
        ("FRAUD_MAX_BATCH", "0", "a whole number from 1 to 100000"),
        ("FRAUD_MAX_BODY_BYTES", "1e6", "a whole number from 1024 to 104857600"),
        ("FRAUD_LOG_LEVEL", "verbose", "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        ("FRAUD_MODEL_SHA256", "abc", "64 hexadecimal digits"),
    ],
)
def test_a_bad_setting_is_named_with_what_it_accepts(variable, value, accepts):
    with pytest.raises(ConfigError) as caught:
        load_config(environ={variable: value})
    message = str(caught.value)
    assert message.startswith(f"{variable}={value!r} is not valid: it accepts ")
    assert accepts in message
    assert "\n" not in message


def test_a_secret_setting_is_never_repeated_in_its_error():
    with pytest.raises(ConfigError) as caught:
        load_config({"MAX_BATCH": 0}, environ={"FRAUD_API_TOKEN": "s3cret-0123456789"})
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("variable", ["FRAUD_API_TOKEN", "FRAUD_METRICS_TOKEN"])
@pytest.mark.parametrize("value", ["x", "s3cret", "long-enough-token-0123,short", "long-enough-token-0123,",
                                   "has a space in it 0123456"])
def test_a_short_token_stops_the_app_with_one_line_that_does_not_repeat_it(variable, value):
    with pytest.raises(ConfigError) as caught:
        load_config(environ={variable: value})
    message = str(caught.value)
    assert message.startswith(f"{variable} is not valid: it accepts tokens of at least 16 characters")
    assert "\n" not in message
    assert value not in message


def test_a_short_token_in_a_mapping_is_refused_too():
    with pytest.raises(ConfigError, match="FRAUD_API_TOKEN is not valid"):
        load_config({"API_TOKEN": "x"}, environ={})


def test_several_tokens_separated_by_commas_are_all_accepted():
    config = load_config(environ={"FRAUD_API_TOKEN": "new-token-0123456789, old-token-0123456789",
                                  "FRAUD_METRICS_TOKEN": "scrape-token-0123456789"})
    assert config["API_TOKEN"] == ("new-token-0123456789", "old-token-0123456789")
    assert config["METRICS_TOKEN"] == ("scrape-token-0123456789",)


def test_the_log_level_is_taken(model_path, tmp_path):
    import logging

    create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "d.db"), "LOG_LEVEL": "WARNING"})
    assert logging.getLogger("fraud_app").level == logging.WARNING


def test_the_model_is_loaded_once_at_start_up(model_path, tmp_path, transaction, monkeypatch):
    import fraud_app.model

    calls = []
    real = fraud_app.model.load_artefact
    monkeypatch.setattr(fraud_app.model, "load_artefact", lambda *a, **k: calls.append(a) or real(*a, **k))
    client = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "d.db")}).test_client()
    for _ in range(3):
        assert client.post("/api/v1/predict", json=transaction).status_code == 200
    assert len(calls) == 1


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
