"""Tests of chapter 01's tiny JSON API (01_api_basics/hello_api.py)."""

import json

import pytest

import hello_api


@pytest.fixture
def app():
    """A fresh app in testing mode for each test."""
    return hello_api.create_app({"TESTING": True})


@pytest.fixture
def client(app):
    """A test client: sends requests to the app without a real server or network."""
    return app.test_client()


def test_config():
    assert not hello_api.create_app().testing
    assert hello_api.create_app({"TESTING": True}).testing


def test_index_describes_the_api(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response.is_json
    body = response.get_json()
    assert body["name"] == "hello-api"
    assert body["version"] == "1.0"
    assert [(e["method"], e["path"]) for e in body["endpoints"]] == [
        ("GET", "/"),
        ("GET", "/add"),
        ("POST", "/echo"),
        ("GET", "/greet"),
    ]
    assert body["endpoints"][1]["description"] == "Add two numbers: /add?a=2&b=3."


def test_responses_are_deterministic(client):
    # The notebook prints raw responses, so the same request must give the same bytes.
    first, second = client.get("/"), client.get("/")
    assert first.get_data() == second.get_data()
    assert dict(first.headers) == dict(second.headers)


@pytest.mark.parametrize(
    ("query", "greeting"),
    [
        ("", "Hello, world!"),
        ("?name=Ada", "Hello, Ada!"),
        ("?name=", "Hello, world!"),
        ("?name=%20Grace%20", "Hello, Grace!"),
        ("?name=" + "x" * 100, "Hello, " + "x" * 100 + "!"),
    ],
)
def test_greet(client, query, greeting):
    response = client.get("/greet" + query)
    assert response.status_code == 200
    assert response.get_json() == {"greeting": greeting}


def test_greet_rejects_a_long_name(client):
    response = client.get("/greet", query_string={"name": "x" * 101})
    assert response.status_code == 400
    assert response.get_json() == {
        "error": {"code": 400, "message": "query parameter 'name' must be at most 100 characters"}
    }


@pytest.mark.parametrize(
    ("a", "b", "total"),
    [("2", "3", 5.0), ("-1.5", "0.5", -1.0), ("1e3", "0", 1000.0), (" 7 ", "1", 8.0)],
)
def test_add(client, a, b, total):
    response = client.get("/add", query_string={"a": a, "b": b})
    assert response.status_code == 200
    assert response.get_json() == {"a": float(a), "b": float(b), "sum": total}


def test_add_answers_floats(client):
    assert client.get("/add?a=2&b=3").get_json() == {"a": 2.0, "b": 3.0, "sum": 5.0}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"b": "3"}, "query parameter 'a' is required"),
        ({"a": "2"}, "query parameter 'b' is required"),
        ({}, "query parameter 'a' is required"),
        ({"a": "two", "b": "3"}, "query parameter 'a' must be a number"),
        ({"a": "2", "b": ""}, "query parameter 'b' must be a number"),
        ({"a": "nan", "b": "3"}, "query parameter 'a' must be a finite number"),
        ({"a": "2", "b": "inf"}, "query parameter 'b' must be a finite number"),
        ({"a": "-Infinity", "b": "3"}, "query parameter 'a' must be a finite number"),
        ({"a": "1e308", "b": "1e308"}, "the sum of 'a' and 'b' is too large to represent"),
    ],
)
def test_add_rejects_bad_numbers(client, query, message):
    response = client.get("/add", query_string=query)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": 400, "message": message}}


@pytest.mark.parametrize("payload", [{"movie": "Arrival", "stars": 4}, [1, 2, 3], "text", 42, None])
def test_echo_sends_the_body_back(client, payload):
    # json.dumps, because the test client's json=None would send no body at all.
    response = client.post("/echo", data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == {"you_sent": payload, "content_type": "application/json"}


def test_echo_reports_the_content_type_as_sent(client):
    response = client.post("/echo", data='{"a": 1}', content_type="application/json; charset=utf-8")
    assert response.get_json() == {"you_sent": {"a": 1}, "content_type": "application/json; charset=utf-8"}


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"data": {"a": "1"}}, 415, "send a JSON body with the header 'Content-Type: application/json'"),
        ({"data": '{"a": 1}', "content_type": "text/plain"}, 415, "send a JSON body"),
        ({"data": "{'a': 1}", "content_type": "application/json"}, 400, "the body is not valid JSON: "),
        ({"data": "", "content_type": "application/json"}, 400, "the body is not valid JSON: "),
        ({"data": '{"a": NaN}', "content_type": "application/json"}, 400, "NaN is not allowed in JSON"),
        ({"data": "[Infinity]", "content_type": "application/json"}, 400, "Infinity is not allowed"),
    ],
)
def test_echo_rejects_bodies_that_are_not_json(client, kwargs, status, message):
    response = client.post("/echo", **kwargs)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == status
    assert message in error["message"]


def test_unknown_route_is_a_json_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["code"] == 404
    assert "not found" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("method", "path"), [("post", "/greet"), ("delete", "/"), ("get", "/echo")])
def test_wrong_method_is_a_json_405(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response.is_json
    assert response.get_json()["error"] == {
        "code": 405,
        "message": "The method is not allowed for the requested URL.",
    }
    # The Allow header says which methods would have worked.
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert allowed - {"HEAD", "OPTIONS"} == ({"POST"} if path == "/echo" else {"GET"})


def test_no_error_is_an_html_page(client):
    responses = [client.get("/nowhere"), client.put("/greet"), client.get("/add"), client.post("/echo")]
    for response in responses:
        assert response.mimetype == "application/json"
        assert b"<html" not in response.get_data().lower()
