"""What a production review of the app asks for, each checked against the app or a real served process.

Bodies however they are sent, settings checked at start-up, the artefact pin, logs with request ids,
gunicorn's threads against stalled clients, HTTPS behind a platform's proxy, security headers, and a
database outage that answers 503 and heals by itself.
"""

import json
import logging
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

import course
from artefact import ArtefactError, artefact_digest
from course.slowclients import SlowClients, health_seconds
from fraud_app import create_app
from fraud_app.model import FraudModel

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "04_flask_app" / "gunicorn.conf.py")]
LIMIT = 4096  # FRAUD_MAX_BODY_BYTES of the server below
READ_TIMEOUT = 4  # GUNICORN_READ_TIMEOUT of the server below: a client must have sent its request by then


@pytest.fixture(scope="module")
def small_server(model_path, auth, tmp_path_factory):
    """gunicorn as `make app` starts it, with a small body limit, its log kept for the logging tests."""
    database = tmp_path_factory.mktemp("production") / "predictions.sqlite3"
    env = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_API_TOKEN": auth.token, "FRAUD_DATABASE": str(database),
           "FRAUD_MAX_BODY_BYTES": str(LIMIT), "HOST": "127.0.0.1", "DATABASE_URL": "",
           "GUNICORN_READ_TIMEOUT": str(READ_TIMEOUT)}
    with course.serve_command(GUNICORN, name="gunicorn-production", env=env, ready_path="/health",
                              announce=False) as server:
        yield server


def chunks(data: bytes, size: int = 1000):
    for start in range(0, len(data), size):
        yield data[start:start + size]


# --- 4. Request bodies --------------------------------------------------------------------------------------

def test_a_chunked_body_over_the_limit_is_413_not_cut_and_scored(small_server, transaction):
    padded = json.dumps(transaction).encode().ljust(LIMIT) + b"garbage after the limit"
    response = requests.post(small_server.url + "/api/v1/predict", data=chunks(padded), timeout=10,
                             headers={"Content-Type": "application/json"})  # a generator: sent chunked
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_chunked_body_within_the_limit_is_read_whole(small_server, transaction):
    body = json.dumps(transaction).encode()
    response = requests.post(small_server.url + "/api/v1/predict", data=chunks(body, 10), timeout=10,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def test_a_chunked_form_over_the_limit_is_413_not_cut_and_scored(small_server, transaction):
    form = "&".join(f"{key}={str(value).lower()}" for key, value in transaction.items()).encode()
    padded = form + b"&padding=" + b"x" * LIMIT  # the form's fields first: a cut body would still score
    response = requests.post(small_server.url + "/", data=chunks(padded), timeout=10,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")


def test_a_chunked_form_within_the_limit_is_read_whole(small_server, transaction):
    form = "&".join(f"{key}={str(value).lower()}" for key, value in transaction.items()).encode()
    response = requests.post(small_server.url + "/", data=chunks(form, 10), timeout=10,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text[:500]
    assert 'id="fraud-decision"' in response.text


def test_a_body_over_the_limit_with_content_length_is_413(small_server):
    response = requests.post(small_server.url + "/api/v1/predict", data=b" " * (LIMIT + 1), timeout=10,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_invalid_utf8_is_a_400(client):
    response = client.post("/api/v1/predict", data=b'{"amount": "\xff\xfe"}', content_type="application/json")
    assert response.status_code == 400
    assert "UTF-8" in response.get_json()["error"]["message"]


def test_a_huge_number_gets_no_python_internals(client, transaction):
    body = json.dumps(transaction).replace("42.5", "9" * 5000)
    response = client.post("/api/v1/predict", data=body, content_type="application/json")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "sys." not in text and "int_max_str_digits" not in text, text  # noqa: PT018


@pytest.mark.parametrize("value", ["٥", "1_0", " 7", "+5", "５"])
def test_integer_query_parameters_are_ascii_digits_only(client, auth, value):
    response = client.get("/api/v1/predictions", query_string={"limit": value}, headers=auth.valid)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_query"


# --- 3. Stalled clients -------------------------------------------------------------------------------------

def test_stalled_clients_do_not_stop_health(small_server):
    """30 clients that send part of their headers and go silent, 20 that trickle a header line every 2 s: far
    more than the 2 x 8 threads. /health still answers at once, and the server hangs up on them after its
    read deadline (GUNICORN_READ_TIMEOUT, 4 s here), answering 408."""
    with SlowClients(small_server.port, stalled=30, trickling=20) as attack:
        time.sleep(1)  # every connection accepted and its first bytes sent
        seconds = health_seconds(small_server.url, times=6)  # over 3 s: the trickling ones sent more lines
        assert max(seconds) < 1, seconds
        deadline = time.monotonic() + READ_TIMEOUT + 5  # each worker checks its deadlines once a second
        while (attack.closed_by_server(), attack.closed_by_server(attack.trickling)) != (30, 20):
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert attack.closed_by_server() == 30
        assert attack.closed_by_server(attack.trickling) == 20
        assert b"408 Request Timeout" in attack.answers[0]
    assert max(health_seconds(small_server.url, times=2)) < 1


def raw_request(port: int, data: bytes) -> tuple[str, dict, bytes]:
    """Send ``data`` as it is on a new connection; the answer's status line, headers and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, {name.lower(): value for name, _, value in (line.partition(": ") for line in lines)}, body


@pytest.mark.parametrize(("request_bytes", "status", "code"), [
    (b"GET /api/v1/predictions?" + b"offset=1&" * 500 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n", 400, "bad_request"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431,
     "request_header_fields_too_large"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Many: y\r\n" * 7000 + b"\r\n", 431,
     "request_header_fields_too_large"),
], ids=["request-line-over-4094", "malformed-header", "header-over-8190", "head-over-64KiB"])
def test_what_gunicorn_refuses_is_the_apis_json_error_with_the_security_headers(small_server, request_bytes,
                                                                                status, code):
    line, headers, body = raw_request(small_server.port, request_bytes)
    assert line.split(" ", 2)[1] == str(status), line
    assert headers["content-type"] == "application/json"
    assert set(json.loads(body)["error"]) == {"code", "message", "details"}
    assert json.loads(body)["error"]["code"] == code
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert int(headers["content-length"]) == len(body) < 1024
    assert b"<html" not in body


def test_a_body_over_the_limit_is_refused_without_being_waited_for(small_server):
    """The body over the limit is announced, never sent: the app answers 413 at once, the server hangs up."""
    line, _, body = raw_request(small_server.port, b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Type: application/json\r\nContent-Length: 999999\r\n\r\n{")
    assert line.startswith("HTTP/1.1 413"), line
    assert json.loads(body)["error"]["code"] == "payload_too_large"


def test_a_request_sent_in_small_pieces_is_served(small_server, transaction):
    """Slow is not wrong: a request whose head and body come in pieces within the deadline is answered."""
    body = json.dumps(transaction).encode()
    with socket.create_connection(("127.0.0.1", small_server.port), timeout=10) as sock:
        request = (b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        for start in range(0, len(request), 40):
            sock.sendall(request[start:start + 40])
            time.sleep(0.02)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert "is_fraud" in json.loads(answer.partition(b"\r\n\r\n")[2])


def test_kept_alive_and_pipelined_requests_are_each_read_whole_and_answered(small_server, transaction):
    """After an answer, the next request on the same connection goes back to the event loop, and so do the
    bytes of a second request sent behind the first (pipelining)."""
    with requests.Session() as session:  # one kept-alive connection
        for _ in range(5):
            assert session.post(small_server.url + "/api/v1/predict", json=transaction, timeout=10).status_code == 200
    with socket.create_connection(("127.0.0.1", small_server.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.count(b"HTTP/1.1 200 OK") == 2, answer


def test_workers_are_replaced_after_max_requests(model_path, tmp_path):
    """GUNICORN_MAX_REQUESTS=10 (jitter 1): 40 requests to one worker are served by at least three in turn."""
    env = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_DATABASE": str(tmp_path / "d.sqlite3"), "HOST": "127.0.0.1",
           "WEB_CONCURRENCY": "1", "GUNICORN_MAX_REQUESTS": "10", "DATABASE_URL": ""}
    with course.serve_command(GUNICORN, name="gunicorn-recycled", env=env, ready_path="/health",
                              announce=False) as server:
        statuses = {requests.get(server.url + "/health", headers={"Connection": "close"}, timeout=10).status_code
                    for _ in range(40)}
        log = server.log()
    assert statuses == {200}
    assert log.count("Autorestarting worker after current request") >= 3, log
    assert log.count("Booting worker with pid") >= 4, log


def test_the_deployed_defaults_recycle_workers_with_jitter_and_write_only_to_tmp(model_path):
    # --print-config loads the app too (preload_app), so it needs a model: the suite's, not one in models/.
    result = subprocess.run([*GUNICORN, "--print-config"], capture_output=True, text=True, timeout=60, check=False,
                            env={"PATH": str(Path(sys.executable).parent), "FRAUD_MODEL_PATH": str(model_path)})
    assert result.returncode == 0, result.stderr
    settings = dict(line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    settings = {name.strip(): value.strip() for name, value in settings.items()}
    assert settings["max_requests"] == "1000"
    assert settings["max_requests_jitter"] == "100"
    assert settings["worker_class"] == "fraud_app.serving.BufferedThreadWorker"
    assert settings["worker_tmp_dir"] == "/tmp"
    assert settings["limit_request_line"] == "4094"


# --- 7. Logging ---------------------------------------------------------------------------------------------

def test_the_request_id_is_kept_or_made_and_sent_back(client):
    given = client.get("/health", headers={"X-Request-ID": "router-abc-123"})
    assert given.headers["X-Request-ID"] == "router-abc-123"
    made = client.get("/health").headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/health").headers["X-Request-ID"]  # noqa: PT018
    assert client.get("/health", headers={"X-Request-ID": "bad id\x01"}).headers["X-Request-ID"] != "bad id\x01"


def test_the_served_log_has_time_level_request_id_and_no_transaction_values(small_server, auth, transaction):
    secret_amount = 4321.987
    requests.post(small_server.url + "/api/v1/predictions", json={**transaction, "amount": secret_amount},
                  headers={**auth.valid, "X-Request-ID": "review-req-1"}, timeout=10)
    time.sleep(0.3)
    log = small_server.log()
    startup = [line for line in log.splitlines() if "fraud_app ready:" in line]
    assert startup, log
    assert " INFO [-] fraud_app: fraud_app ready: model " in startup[0]
    assert "storage sqlite+pysqlite:///" in startup[0]
    assert "NOT pinned" in startup[0]
    access = [line for line in log.splitlines() if "request_id=review-req-1" in line]
    assert access, log
    assert access[0][:4].isdigit() and " INFO " in access[0]  # noqa: PT018
    assert str(secret_amount) not in log


def test_a_sql_error_logs_no_parameters(app, client, auth, transaction, caplog):
    import sqlalchemy as sa

    with app.extensions["fraud_db"].begin() as connection:
        connection.execute(sa.text("DROP TABLE predictions"))
    with caplog.at_level(logging.ERROR, logger="fraud_app"):
        logging.getLogger("fraud_app").propagate = True
        try:
            response = client.post("/api/v1/predictions", json={**transaction, "amount": 777.125},
                                   headers=auth.valid)
        finally:
            logging.getLogger("fraud_app").propagate = False
    assert response.status_code == 500
    assert caplog.records
    assert "777.125" not in caplog.text
    assert "777.125" not in response.get_data(as_text=True)


# --- 9. Settings --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value"), [
    ("WEB_CONCURRENCY", "0"), ("WEB_CONCURRENCY", "٣"), ("GUNICORN_TIMEOUT", "30s"),
    ("GUNICORN_THREADS", "x"), ("GUNICORN_THREADS", "1_0"), ("GUNICORN_READ_TIMEOUT", "soon"),
    ("GUNICORN_MAX_REQUESTS", "lots"), ("PORT", "80a")])
def test_gunicorn_stops_on_a_bad_server_setting_with_one_line(tmp_path, variable, value):
    """Checked by gunicorn.conf.py before anything starts. (WEB_CONCURRENCY=abc is refused by gunicorn's own
    import, which reads it as a number before any configuration file: see the test below.)"""
    env = {"PATH": str(Path(sys.executable).parent), variable: value}
    result = subprocess.run(GUNICORN, env=env, capture_output=True, text=True, timeout=60, check=False)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 1
    assert output.startswith(f"gunicorn cannot start: {variable}={value!r} is not valid: it accepts a "), output
    assert len(output.splitlines()) == 1, output
    assert "Traceback" not in output


@pytest.mark.parametrize(("variable", "value"), [("FRAUD_MAX_BATCH", "lots"), ("FRAUD_MAX_BATCH", "-5"),
                                                 ("FRAUD_LOG_LEVEL", "verbose")])
def test_gunicorn_stops_on_a_bad_setting_with_one_line(model_path, tmp_path, variable, value):
    env = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_DATABASE": str(tmp_path / "d.sqlite3"), "PORT": "0",
           "PATH": str(Path(sys.executable).parent), variable: value}
    result = subprocess.run(GUNICORN, env=env, capture_output=True, text=True, timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"fraud_app cannot start: {variable}={value!r} is not valid: it accepts " in output
    assert "Traceback" not in output


def test_a_read_only_file_system_moves_only_the_default_sqlite_file_to_tmp(monkeypatch):
    """docker run --read-only --tmpfs /tmp (tests/test_docker.py runs it): instance/ cannot be written."""
    from fraud_app import db
    from fraud_app.config import DEFAULTS

    monkeypatch.setattr(db.os, "access", lambda path, mode: False)  # as on a read-only file system
    config = {"DATABASE_URL": None, "DATABASE": DEFAULTS["DATABASE"]}
    warning = db.keep_sqlite_writable(config)
    assert config["DATABASE"] == str(Path(tempfile.gettempdir()) / "fraud-app" / "predictions.sqlite3")
    assert warning.startswith("instance/ cannot be written (a read-only file system): stored predictions go to ")
    for asked in ({"DATABASE_URL": None, "DATABASE": "/srv/data/p.sqlite3"},
                  {"DATABASE_URL": "postgresql://u:p@h/d", "DATABASE": DEFAULTS["DATABASE"]}):
        assert db.keep_sqlite_writable(dict(asked)) is None  # what was asked for is never moved


def test_a_sqlite_file_that_cannot_be_opened_stops_the_app_with_one_line(model_path, tmp_path):
    """A folder in place of the file: SQLite cannot open it; gunicorn stops with one line, no traceback."""
    (tmp_path / "a-folder.sqlite3").mkdir()
    env = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_DATABASE": str(tmp_path / "a-folder.sqlite3"), "PORT": "0",
           "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(GUNICORN, env=env, capture_output=True, text=True, timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "fraud_app cannot start: " in output and "unable to open database file" in output, output  # noqa: PT018
    assert "Traceback" not in output


@pytest.mark.parametrize("password", ["pa/ss", "p@ss:w/rd", "50%off/@:x", "a%2Fb"])
def test_a_database_password_never_appears(model_path, tmp_path, password):
    url = f"postgresql://fraud:{password}@127.0.0.1:1/fraud?connect_timeout=2"
    env = {"FRAUD_MODEL_PATH": str(model_path), "DATABASE_URL": url, "PORT": "0",
           "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(GUNICORN, env=env, capture_output=True, text=True, timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "fraud_app cannot start: DATABASE_URL=" in output, output
    assert "fraud:***@" in output  # an unencoded @ makes the URL unparseable; the password is hidden all the same
    assert password not in output


# --- 2. The artefact pin ------------------------------------------------------------------------------------

@pytest.fixture
def copied(model_path, tmp_path):
    path = tmp_path / "fraud_model.pkl"
    path.write_bytes(model_path.read_bytes())
    path.with_suffix(".json").write_text(model_path.with_suffix(".json").read_text())
    return path


def rewrite_threshold(path, threshold, *, consistent):
    metadata = json.loads(path.with_suffix(".json").read_text())
    metadata["threshold"] = threshold
    if consistent:  # what an attacker who can write both files does
        metadata["artefact_sha256"] = artefact_digest(path.read_bytes(), metadata)
    path.with_suffix(".json").write_text(json.dumps(metadata))
    return metadata


def test_the_model_card_shows_the_artefact_digest(client, model_path, auth):
    card = client.get("/api/v1/model", headers=auth.valid).get_json()  # the whole card: the digest covers it all
    assert client.get("/api/v1/model").get_json()["artefact_sha256"] == card["artefact_sha256"]
    assert card["artefact_sha256"] == artefact_digest(model_path.read_bytes(), card)


def test_an_edited_threshold_is_refused(copied, tmp_path):
    rewrite_threshold(copied, 0.999, consistent=False)
    with pytest.raises(ArtefactError, match="metadata was edited"):
        create_app({"MODEL_PATH": str(copied), "DATABASE": str(tmp_path / "d.db")})


def test_a_pinned_app_refuses_even_a_self_consistent_artefact(copied, model_path, tmp_path):
    pin = json.loads(model_path.with_suffix(".json").read_text())["artefact_sha256"]
    rewrite_threshold(copied, 0.999, consistent=True)
    create_app({"MODEL_PATH": str(copied), "DATABASE": str(tmp_path / "d.db")})  # unpinned: it cannot tell
    with pytest.raises(ArtefactError, match="FRAUD_MODEL_SHA256"):
        create_app({"MODEL_PATH": str(copied), "DATABASE": str(tmp_path / "d.db"), "MODEL_SHA256": pin})


def test_a_pinned_app_starts_with_its_artefact(model_path, tmp_path, caplog):
    pin = json.loads(model_path.with_suffix(".json").read_text())["artefact_sha256"]
    app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "d.db"), "MODEL_SHA256": pin})
    assert app.extensions["fraud_model"].digest == pin


def test_gunicorn_refuses_an_artefact_other_than_the_pin(model_path, tmp_path):
    env = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_DATABASE": str(tmp_path / "d.sqlite3"), "PORT": "0",
           "PATH": str(Path(sys.executable).parent), "FRAUD_MODEL_SHA256": "0" * 64}
    result = subprocess.run(GUNICORN, env=env, capture_output=True, text=True, timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "the pin (FRAUD_MODEL_SHA256) is 000000000000" in output
    assert "Traceback" not in output


# --- 10. Platforms ------------------------------------------------------------------------------------------

def pin_of(model_path) -> str:
    return json.loads(Path(model_path).with_suffix(".json").read_text())["artefact_sha256"]


@pytest.fixture
def platform_app(model_path, tmp_path, auth, monkeypatch):
    monkeypatch.setenv("DYNO", "web.1")
    return create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "d.db"), "API_TOKEN": auth.token,
                       "MODEL_SHA256": pin_of(model_path)})


def test_on_a_platform_a_write_over_plain_http_is_refused(platform_app, auth, transaction):
    response = platform_app.test_client().post("/api/v1/predictions", json=transaction, headers=auth.valid)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "https_required"
    assert "Location" not in response.headers


def test_on_a_platform_https_from_the_proxy_is_trusted_and_gets_hsts(platform_app, auth, transaction):
    response = platform_app.test_client().post("/api/v1/predictions", json=transaction,
                                               headers={**auth.valid, "X-Forwarded-Proto": "https"})
    assert response.status_code == 201
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_on_a_platform_without_database_url_the_app_warns(platform_app, caplog, model_path, tmp_path, monkeypatch):
    logging.getLogger("fraud_app").propagate = True
    try:
        with caplog.at_level(logging.WARNING, logger="fraud_app"):
            create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "e.db"),
                        "MODEL_SHA256": pin_of(model_path)})
    finally:
        logging.getLogger("fraud_app").propagate = False
    assert any("DATABASE_URL" in r.getMessage() and "lost at the next restart" in r.getMessage()
               for r in caplog.records), caplog.text


# --- 6. The artefact fails closed in production ------------------------------------------------------------

class Touch:
    """Unpickling this object creates a file: the stand-in for a pickle that runs harmful code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def rewritten(model_path, folder: Path, obj, **metadata_changes) -> Path:
    """A self-consistent artefact (its own digest right) holding ``obj``, with the real model's metadata."""
    from artefact import REQUIRED_KEYS, save_artefact

    real = json.loads(Path(model_path).with_suffix(".json").read_text())
    metadata = {key: real[key] for key in REQUIRED_KEYS}
    path = folder / "swapped.pkl"
    save_artefact(obj, {**metadata, **metadata_changes}, path)
    return path


PLATFORMS = [{"DYNO": "web.1"}, {"K_SERVICE": "fraud"}, {"FLY_APP_NAME": "fraud"}, {"RENDER": "true"},
             {"SPACE_ID": "me/fraud"}, {"FRAUD_ENV": "production"}]


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda env: next(iter(env)))
def test_in_production_an_unpinned_artefact_stops_the_app_before_it_is_unpickled(
        model_path, tmp_path, monkeypatch, platform):
    marker = tmp_path / "pickle-code-ran"
    swapped = rewritten(model_path, tmp_path, Touch(marker))
    for variable, value in platform.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(ArtefactError) as caught:
        create_app({"MODEL_PATH": str(swapped), "DATABASE": str(tmp_path / "d.db")})
    assert "not pinned" in str(caught.value)
    assert "FRAUD_MODEL_SHA256" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not marker.exists(), "the pickle's code ran"


def test_gunicorn_on_a_platform_without_a_pin_exits_with_one_line(model_path, tmp_path):
    env = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_DATABASE": str(tmp_path / "d.sqlite3"), "PORT": "0",
           "PATH": str(Path(sys.executable).parent), "DYNO": "web.1"}
    result = subprocess.run(GUNICORN, env=env, capture_output=True, text=True, timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    lines = [line for line in output.splitlines() if "fraud_app cannot start" in line]
    assert len(lines) == 1
    assert "not pinned" in lines[0]
    assert "Traceback" not in output


def test_fraud_env_accepts_production_or_development_only():
    from fraud_app.config import ConfigError, load_config

    assert load_config(environ={"FRAUD_ENV": "production"})["PRODUCTION"] is True
    assert load_config(environ={"FRAUD_ENV": "development"})["PRODUCTION"] is False
    assert load_config(environ={"RENDER": "true"})["PRODUCTION"] is True
    with pytest.raises(ConfigError, match="FRAUD_ENV='prod' is not valid: it accepts production or development"):
        load_config(environ={"FRAUD_ENV": "prod"})
    with pytest.raises(ConfigError, match="FRAUD_ALLOW_VERSION_SKEW='yes' is not valid: it accepts on or off"):
        load_config(environ={"FRAUD_ALLOW_VERSION_SKEW": "yes"})


def other_versions(model_path, tmp_path) -> Path:
    """The real pipeline, with metadata that says it was made with another scikit-learn."""
    import pickle

    real = json.loads(Path(model_path).with_suffix(".json").read_text())
    pipeline = pickle.loads(Path(model_path).read_bytes())
    return rewritten(model_path, tmp_path, pipeline, versions={**real["versions"], "scikit-learn": "0.24.2"})


def test_in_production_other_library_versions_stop_the_app(model_path, tmp_path, monkeypatch):
    path = other_versions(model_path, tmp_path)
    pin = json.loads(path.with_suffix(".json").read_text())["artefact_sha256"]
    monkeypatch.setenv("FRAUD_ENV", "production")
    config = {"MODEL_PATH": str(path), "DATABASE": str(tmp_path / "d.db"), "MODEL_SHA256": pin}
    with pytest.raises(ArtefactError) as caught:
        create_app(config)
    message = str(caught.value)
    assert "other library versions (scikit-learn: trained with 0.24.2, running " in message
    assert "FRAUD_ALLOW_VERSION_SKEW=on" in message
    assert "\n" not in message
    app = create_app({**config, "ALLOW_VERSION_SKEW": True})  # served anyway, when told to
    assert app.extensions["fraud_model"].digest == pin


def test_off_a_platform_other_versions_are_one_warning_line_in_the_log(model_path, tmp_path, capsys):
    import warnings

    path = other_versions(model_path, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning left to Python (several lines on stderr) fails the test
        create_app({"MODEL_PATH": str(path), "DATABASE": str(tmp_path / "d.db")})
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if "scikit-learn: trained with 0.24.2" in line]
    assert len(lines) == 1, captured.out
    assert " WARNING " in lines[0]
    assert "ArtefactVersionWarning" not in captured.err


class NotAModel:
    pass


@pytest.mark.parametrize(("obj", "why"), [
    ({"a": "dict"}, "it is a builtins.dict, not a scikit-learn Pipeline"),
    (NotAModel(), "not a scikit-learn Pipeline"),
    ("the tiny pipeline", "it was fitted on 1 features, the schema has 8"),
    ("an unfitted pipeline", "it was fitted on None features"),
])
def test_an_unpickled_object_that_is_not_the_described_pipeline_stops_the_app(model_path, tmp_path, obj, why):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if obj == "the tiny pipeline":
        obj = make_pipeline(StandardScaler(), LogisticRegression()).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    elif obj == "an unfitted pipeline":
        obj = make_pipeline(StandardScaler(), LogisticRegression())
    path = rewritten(model_path, tmp_path, obj)
    with pytest.raises(ArtefactError) as caught:
        create_app({"MODEL_PATH": str(path), "DATABASE": str(tmp_path / "d.db")})
    assert "the unpickled object is not the pipeline its metadata describes" in str(caught.value)
    assert why in str(caught.value)
    assert "\n" not in str(caught.value)


def test_locally_plain_http_is_fine_and_gets_no_hsts(client, auth, transaction):
    response = client.post("/api/v1/predictions", json=transaction, headers=auth.valid)
    assert response.status_code == 201
    assert "Strict-Transport-Security" not in response.headers
    assert client.post("/api/v1/predictions", json=transaction, headers={**auth.valid, "X-Forwarded-Proto": "https"}
                       ).headers.get("Strict-Transport-Security") is None  # no proxy to trust locally


# --- 12. HTTP details ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/api/v1/model", "/nothing-here"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none': no script at all
    assert headers["Referrer-Policy"] == "no-referrer"


def test_the_form_needs_nothing_the_policy_forbids(client):
    html = client.get("/").get_data(as_text=True)
    assert "<script" not in html and "style=" not in html and "<style" not in html  # noqa: PT018
    assert 'action=""' not in html


def test_an_html_error_page_keeps_its_headers(client):
    response = client.put("/")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


class Fixed:
    """A stand-in pipeline that answers one probability: the rounding edge."""

    def __init__(self, probability):
        self.probability = probability

    def predict_proba(self, frame):
        import numpy as np

        return np.array([[1 - self.probability, self.probability]] * len(frame))


@pytest.mark.parametrize("probability", [0.4999996, 0.4999994, 0.5])
def test_is_fraud_agrees_with_the_numbers_shown(app, transaction, probability):
    real = app.extensions["fraud_model"]
    model = FraudModel(Fixed(probability), {**real.metadata, "threshold": 0.5}, real.schema)
    outcome = model.score([transaction])[0]
    assert outcome["is_fraud"] is (outcome["fraud_probability"] >= outcome["threshold"])


# --- 11. A database outage ----------------------------------------------------------------------------------

def test_a_database_outage_is_a_503_and_heals_by_itself(model_path, postgres, auth, transaction):
    url = postgres.create_database("outage")
    app = create_app({"MODEL_PATH": str(model_path), "DATABASE_URL": url, "API_TOKEN": auth.token})
    client = app.test_client()
    try:
        assert client.post("/api/v1/predictions", json=transaction, headers=auth.valid).status_code == 201
        with postgres.connect() as admin:  # the database goes away: sessions cut, new ones refused
            admin.execute("ALTER DATABASE outage ALLOW_CONNECTIONS false")
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'outage'")
        for response in (client.get("/api/v1/predictions", headers=auth.valid),
                         client.post("/api/v1/predictions", json=transaction, headers=auth.valid)):
            assert response.status_code == 503, response.get_data(as_text=True)
            assert response.headers["Retry-After"].isdigit()
            assert response.get_json()["error"]["code"] == "database_unavailable"
        not_ready = client.get("/ready")  # readiness says so; liveness does not (it never touches the database)
        assert not_ready.status_code == 503
        assert not_ready.get_json()["checks"] == {"database": "unavailable", "model": "ok"}
        assert not_ready.headers["Retry-After"].isdigit()
        assert client.get("/health").status_code == 200
        with postgres.connect() as admin:  # and comes back: no restart of the app
            admin.execute("ALTER DATABASE outage ALLOW_CONNECTIONS true")
        assert client.get("/api/v1/predictions", headers=auth.valid).status_code == 200
        assert client.get("/ready").get_json() == {"status": "ready", "model_version": app.extensions[
            "fraud_model"].version, "checks": {"database": "ok", "model": "ok"}}
    finally:
        app.extensions["fraud_db"].dispose()


def test_ready_is_503_when_the_model_cannot_score(app, client, monkeypatch):
    assert client.get("/ready").status_code == 200

    def broken(self, X):
        raise RuntimeError("the model is broken")

    monkeypatch.setattr(FraudModel, "predict_proba", broken)
    answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.get_json()["checks"] == {"database": "ok", "model": "failed"}
    assert answer.headers["Cache-Control"] == "no-store"


# --- 8. The model's threads ---------------------------------------------------------------------------------

class Recording:
    """Wraps the real pipeline: records what threadpoolctl sees while it predicts."""

    def __init__(self, pipeline):
        self.pipeline, self.seen = pipeline, []

    def predict_proba(self, frame):
        from threadpoolctl import threadpool_info

        self.seen.append({info["user_api"]: info["num_threads"] for info in threadpool_info()})
        return self.pipeline.predict_proba(frame)


def test_the_model_predicts_with_one_thread_in_a_server_thread(app, transaction):
    """A request thread (as waitress, gthread and the development server run them), not the thread that loaded."""
    import threading

    from threadpoolctl import threadpool_info

    real = app.extensions["fraud_model"]
    loaded = {info["user_api"] for info in threadpool_info()}
    assert "openmp" in loaded  # scikit-learn's OpenMP is loaded: the limit has something to act on
    recording = Recording(real.pipeline)
    model = FraudModel(recording, real.metadata, real.schema, real.controller)
    thread = threading.Thread(target=model.score, args=([transaction],))
    thread.start()
    thread.join()
    assert recording.seen == [{api: 1 for api in recording.seen[0]}]
    assert set(recording.seen[0]) == loaded


def test_an_error_with_its_traceback_is_one_log_line(app, client, auth, transaction, capsys, monkeypatch):
    import fraud_app.db

    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(fraud_app.db, "create", broken)
    response = client.post("/api/v1/predictions", json=transaction, headers={**auth.valid, "X-Request-ID": "r-42"})
    assert response.status_code == 500
    lines = [line for line in capsys.readouterr().out.splitlines() if "unhandled error" in line]
    assert len(lines) == 1
    assert " ERROR [r-42] fraud_app.errors: unhandled error on POST /api/v1/predictions\\nTraceback" in lines[0]
    assert "RuntimeError: a bug" in lines[0]


def test_the_log_follows_stdout_when_it_is_swapped_and_closed(monkeypatch):
    """A test runner or a notebook swaps sys.stdout and later closes its copy: logging goes on, to the new one."""
    import io

    from fraud_app import logs

    first, second = io.StringIO(), io.StringIO()
    logger = logging.getLogger("fraud_app.test")
    logs.configure("INFO")
    monkeypatch.setattr(sys, "stdout", first)
    logger.info("one")
    first.close()
    monkeypatch.setattr(sys, "stdout", second)
    logger.info("two")
    assert second.getvalue().endswith(" INFO [-] fraud_app.test: two\n")
