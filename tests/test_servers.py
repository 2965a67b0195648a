"""The background-server helpers every notebook uses (course/servers.py)."""

import io
import socket
import subprocess
import sys
import time
import types
import urllib.error
from pathlib import Path

import pytest
import requests
from flask import Flask

import course
from course import servers


@pytest.fixture
def app():
    """A one-route Flask app."""
    app = Flask("ping")

    @app.get("/ping")
    def ping():
        return {"pong": True}

    return app


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_serve_app_answers_real_http_and_stops(app):
    server = course.serve_app(app, name="ping", announce=False)
    assert server.url.startswith("http://127.0.0.1:")
    assert requests.get(server.url + "/ping", timeout=5).json() == {"pong": True}
    server.stop()
    assert port_is_free(server.port)
    assert not server.running
    server.stop()  # stopping twice is harmless


def test_the_announcement_never_prints_the_port(app, capsys, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    with course.serve_app(app, name="ping") as server:
        printed = capsys.readouterr().out
    assert printed == "ping is running in the background; its address is in .url\n"
    assert str(server.port) not in printed
    assert "running" not in repr(server) or str(server.port) not in repr(server)


def test_on_a_jupyterhub_the_proxy_address_is_printed(app, capsys, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    with course.serve_app(app, name="ping") as server:
        printed = capsys.readouterr().out
    assert f"Open it in your browser at /user/ada/proxy/{server.port}/" in printed


@pytest.mark.parametrize(
    ("prefix", "path", "expected"),
    [
        (None, "/", "http://127.0.0.1:8123/"),
        (None, "health", "http://127.0.0.1:8123/health"),
        ("/user/ada/", "/", "/user/ada/proxy/8123/"),
        ("/user/ada", "/api/v1/model", "/user/ada/proxy/8123/api/v1/model"),
    ],
)
def test_public_url(monkeypatch, prefix, path, expected):
    if prefix is None:
        monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    else:
        monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", prefix)
    assert course.public_url(8123, path) == expected


def test_two_servers_get_two_ports(app):
    with (
        course.serve_app(app, name="one", announce=False) as one,
        course.serve_app(app, name="two", announce=False) as two,
    ):
        assert one.port != two.port
        assert {s.name for s in course.running_servers()} >= {"one", "two"}


def test_stop_all_stops_every_running_server(app, monkeypatch):
    # Only this test's servers: a session's shared servers, started by other files, must outlive it.
    monkeypatch.setattr(course.servers, "_running", [])
    started = [course.serve_app(app, name=f"ping {i}", announce=False) for i in range(2)]
    assert course.stop_all() == 2
    assert all(not server.running and port_is_free(server.port) for server in started)


def test_serve_command_runs_a_process_with_port_in_the_environment():
    # A real process: Python's own HTTP server, told its port through $PORT.
    command = [
        sys.executable,
        "-c",
        "import http.server, os; http.server.test("
        "HandlerClass=http.server.SimpleHTTPRequestHandler, port=int(os.environ['PORT']), bind='127.0.0.1')",
    ]
    with course.serve_command(command, name="http.server", announce=False) as server:
        assert requests.get(server.url + "/", timeout=5).status_code == 200
        assert server.returncode is None
    assert server.returncode is not None
    assert port_is_free(server.port)


def test_serve_command_fills_in_the_port_placeholder():
    command = f"{sys.executable} -m http.server --bind 127.0.0.1 {{port}}"
    with course.serve_command(command, name="http.server", announce=False) as server:
        assert requests.get(server.url + "/", timeout=5).ok


def test_a_command_that_dies_is_reported_with_its_output():
    command = [sys.executable, "-c", "import sys; print('cannot start: no model'); sys.exit(3)"]
    with pytest.raises(RuntimeError, match=r"(?s)exited with status 3.*cannot start: no model"):
        course.serve_command(command, name="broken", announce=False)


def test_a_command_that_never_answers_times_out_and_is_stopped():
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(RuntimeError, match="did not answer within 0.5 s"):
        course.serve_command(command, name="silent", timeout=0.5, announce=False)
    assert not [s for s in course.running_servers() if s.name == "silent"]


def test_waiting_for_a_server_closes_the_error_answer_it_gets(monkeypatch):
    """A 404 at the ready path means "up"; the answer (a response still open) is closed, not left to the
    garbage collector, which Python 3.14 reports as a ResourceWarning."""
    body, answers = io.BytesIO(b"not found"), []  # kept alive here: only an explicit close() closes it

    def answer_404(url, timeout):
        answers.append(urllib.error.HTTPError(url, 404, "NOT FOUND", {}, body))
        raise answers[-1]

    monkeypatch.setattr(servers.urllib.request, "urlopen", answer_404)
    servers.wait_until_ready(types.SimpleNamespace(url="http://127.0.0.1:9", name="a 404 server"), "/missing")
    assert body.closed


def test_free_port_is_bindable():
    port = servers.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_starting_a_server_twice_under_one_name_leaves_one_running(app, capsys):
    first = course.serve_app(app, name="twice", announce=False)
    second = course.serve_app(app, name="twice", announce=False)
    try:
        assert not first.running
        assert port_is_free(first.port)
        assert [s.name for s in course.running_servers()].count("twice") == 1
        assert "(stopped the twice started earlier, so that only one runs)" in capsys.readouterr().out
    finally:
        second.stop()


def test_programs_of_this_environment_are_found_without_activating_it(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert servers.find_program("gunicorn") == str(Path(sys.executable).parent / "gunicorn")
    assert servers.find_program("/bin/sh") == "/bin/sh"
    assert servers.find_program("no-such-program-anywhere") == "no-such-program-anywhere"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_server_process_dies_with_the_python_that_started_it(tmp_path):
    # A Python that starts a server and is then killed outright: no atexit, no clean-up code.
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys, course\n"
        "server = course.serve_command([sys.executable, '-m', 'http.server', '--bind', '127.0.0.1', '{port}'],"
        " name='orphan', announce=False)\n"
        "print(server._process.pid, server.port, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    parent = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False)
    pid, port = map(int, parent.stdout.split())
    for _ in range(100):
        if port_is_free(port):
            break
        time.sleep(0.05)
    assert port_is_free(port)
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().split(") ")[1][0] == "Z"  # gone, or dead and not yet reaped


def test_a_stopped_process_server_still_shows_what_it_wrote():
    # A failing test reads the log after the `with` block has stopped the server: it must find it there.
    command = [sys.executable, "-u", "-c", "import sys; print('hello from the child'); "
               "import http.server as h; h.test(h.SimpleHTTPRequestHandler, port=int(sys.argv[1]), bind='127.0.0.1')",
               "{port}"]
    with course.serve_command(command, name="talker", announce=False) as server:
        pass
    assert server.returncode is not None
    assert "hello from the child" in server.log()
