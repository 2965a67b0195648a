"""The helpers that print HTTP traffic in the notebooks (course/http.py)."""

import pytest
import requests
from flask import Flask

import course
from course import http


@pytest.fixture(scope="module")
def server():
    """A real server with a JSON route and a plain-text route."""
    app = Flask("shows")

    @app.get("/json")
    def as_json():
        return {"b": 2, "a": "é"}

    @app.get("/text")
    def as_text():
        return "plain words", 200, {"Content-Type": "text/plain; charset=utf-8", "X-Extra": "yes"}

    with course.serve_app(app, announce=False) as running:
        yield running


def test_show_prints_status_chosen_headers_and_pretty_json(server, capsys):
    course.show(requests.get(server.url + "/json", timeout=5))
    assert capsys.readouterr().out == '200 OK\nContent-Type: application/json\n{\n  "a": "é",\n  "b": 2\n}\n'


def test_show_prints_other_bodies_as_they_came(server, capsys):
    course.show(requests.get(server.url + "/text", timeout=5), headers=("X-Extra", "Absent"))
    assert capsys.readouterr().out == "200 OK\nX-Extra: yes\nplain words\n"


def test_show_request_prints_the_wire_format(capsys):
    prepared = requests.Request(
        "PUT", "https://api.example.com/r/1?x=1", headers={"X-Token": "t"}, json={"stars": 4}
    ).prepare()
    course.show_request(prepared)
    assert capsys.readouterr().out.splitlines() == [
        "PUT /r/1?x=1 HTTP/1.1",
        "Host: api.example.com",
        "X-Token: t",
        "Content-Length: 12",
        "Content-Type: application/json",
        "",
        '{"stars": 4}',
    ]


def test_raw_exchange_is_real_http_with_volatile_headers_masked(server):
    answer = course.raw_exchange(server.url, "GET /json HTTP/1.1\nHost: localhost\nConnection: close\n\n")
    lines = answer.splitlines()
    assert lines[0] == "HTTP/1.1 200 OK"
    assert "Server: <the server's name and version>" in lines
    assert "Date: <the time of the response>" in lines
    assert lines[-1] == r'{"a":"\u00e9","b":2}'
    assert str(server.port) not in answer


def test_mask_volatile_leaves_other_headers_alone():
    text = "HTTP/1.1 200 OK\nDate: Mon, 1 Jan 2024\nserver: x/1\nX-Date: kept\n"
    assert http.mask_volatile(text) == (
        "HTTP/1.1 200 OK\nDate: <the time of the response>\nserver: <the server's name and version>\nX-Date: kept\n"
    )


@pytest.mark.parametrize("said", ["Unprocessable Entity", "Unprocessable Content"])
def test_show_names_a_status_the_same_on_every_python(said, capsys):
    """uvicorn takes its reason phrases from http.HTTPStatus, which renamed 422 in Python 3.13."""
    response = requests.Response()
    response.status_code, response.reason, response._content = 422, said, b""
    course.show(response)
    assert capsys.readouterr().out == "422 Unprocessable Content\n"
