"""Tests of chapter 02's movie-ratings API: REST (ratings_api.py) and JSON-RPC (ratings_rpc.py)."""

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

import ratings_api
import ratings_rpc

TOKEN = "test-token"
SEEDED = [
    {"id": 1, "movie": "Spirited Away", "stars": 5, "review": "A bathhouse of wonders."},
    {"id": 2, "movie": "Arrival", "stars": 4, "review": "Language as a time machine."},
    {"id": 3, "movie": "The Room", "stars": 1, "review": ""},
]


@pytest.fixture
def app():
    """A fresh app, with its own store of the three example ratings, for each test."""
    return ratings_api.create_app({"TESTING": True, "API_TOKEN": TOKEN})


@pytest.fixture
def client(app):
    """A test client: sends requests to the app without a real server or network."""
    return app.test_client()


@pytest.fixture
def auth():
    """The header that carries the right token, for the requests that write."""
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def rpc(client, auth):
    """Make one JSON-RPC call (authorized unless told otherwise) and return the answer's JSON."""

    def call(method, params=None, *, call_id=1, headers=auth):
        payload = {"jsonrpc": "2.0", "method": method, "id": call_id}
        if params is not None:
            payload["params"] = params
        response = client.post("/rpc", json=payload, headers=headers)
        assert response.status_code == 200  # JSON-RPC answers 200 even for an error
        return response.get_json()

    return call


def ratings(client):
    """The ratings the server holds now."""
    return client.get("/ratings").get_json()["items"]


def send_json(client, path, body, headers, method="post"):
    """Send any JSON value (even null, which the test client's json= cannot send)."""
    send = getattr(client, method)
    return send(path, data=json.dumps(body), content_type="application/json", headers=headers)


# --- Configuration -------------------------------------------------------------------------


def test_config():
    assert not ratings_api.create_app().testing
    assert ratings_api.create_app({"TESTING": True}).testing


def test_token_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RATINGS_API_TOKEN", "from-env")
    assert ratings_api.create_app().config["API_TOKEN"] == "from-env"
    monkeypatch.delenv("RATINGS_API_TOKEN")
    assert ratings_api.create_app().config["API_TOKEN"] == ratings_api.TEACHING_TOKEN == "let-me-in"


def test_an_empty_token_is_refused():
    with pytest.raises(ValueError, match="API_TOKEN must not be empty"):
        ratings_api.create_app({"API_TOKEN": ""})


def test_each_app_has_its_own_store(auth):
    first, second = ratings_api.create_app(), ratings_api.create_app({"API_TOKEN": TOKEN})
    created = second.test_client().post("/ratings", json={"movie": "Up", "stars": 4}, headers=auth)
    assert created.status_code == 201
    assert first.test_client().get("/ratings").get_json()["total"] == 3
    assert second.test_client().get("/ratings").get_json()["total"] == 4


# --- REST: reading -------------------------------------------------------------------------


def test_list_ratings(client):
    response = client.get("/ratings")
    assert response.status_code == 200
    assert response.get_json() == {"items": SEEDED, "total": 3}


def test_get_one_rating(client):
    response = client.get("/ratings/2")
    assert response.status_code == 200
    assert response.get_json() == SEEDED[1]


@pytest.mark.parametrize("rating_id", [99, 0])
def test_get_a_missing_rating_is_404(client, rating_id):
    response = client.get(f"/ratings/{rating_id}")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": 404, "message": f"rating {rating_id} does not exist"}}


@pytest.mark.parametrize("path", ["/ratings/abc", "/ratings/-1", "/movies", "/ratings/1/extra"])
def test_unknown_routes_are_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["code"] == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/ratings", {"GET", "POST"}),
        ("put", "/ratings", {"GET", "POST"}),
        ("post", "/ratings/1", {"GET", "PUT", "DELETE"}),
        ("patch", "/ratings/1", {"GET", "PUT", "DELETE"}),
        ("get", "/rpc", {"POST"}),
    ],
)
def test_wrong_methods_are_json_405(client, method, path, allowed):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response.get_json() == {
        "error": {"code": 405, "message": "The method is not allowed for the requested URL."}
    }
    listed = {name.strip() for name in response.headers["Allow"].split(",")}
    assert listed - {"HEAD", "OPTIONS"} == allowed


# --- REST: writing -------------------------------------------------------------------------


def test_create_rating(client, auth):
    response = client.post("/ratings", json={"movie": "Up", "stars": 4, "review": "Balloons!"}, headers=auth)

    assert response.status_code == 201
    assert response.headers["Location"] == "/ratings/4"
    assert response.get_json() == {"id": 4, "movie": "Up", "stars": 4, "review": "Balloons!"}
    assert client.get("/ratings/4").get_json() == response.get_json()


def test_create_fills_defaults_and_trims_the_title(client, auth):
    response = client.post("/ratings", json={"movie": "  Up  ", "stars": 3}, headers=auth)
    assert response.get_json() == {"id": 4, "movie": "Up", "stars": 3, "review": ""}


@pytest.mark.parametrize(
    "body",
    [
        {"movie": "x" * 200, "stars": 1},
        {"movie": "Up", "stars": 5, "review": "y" * 1000},
        {"movie": "Amélie", "stars": 5, "review": "Le fabuleux destin 🎬"},
    ],
)
def test_create_accepts_values_at_the_limits(client, auth, body):
    response = client.post("/ratings", json=body, headers=auth)
    assert response.status_code == 201
    assert response.get_json() == {"id": 4, "review": "", **body}


# Bad bodies that POST and PUT both refuse (each carries a review, which PUT requires).
BAD_RATINGS = [
    ([{"movie": "Up", "stars": 3}], "a rating must be a JSON object, got array"),
    ("Up", "a rating must be a JSON object, got string"),
    (None, "a rating must be a JSON object, got null"),
    ({"movie": "Up", "stars": 3, "token": TOKEN}, "unknown field 'token': allowed fields are movie, stars, review"),
    ({"id": 7, "movie": "Up", "stars": 3}, "unknown field 'id': allowed fields are movie, stars, review"),
    ({"movie": 42, "stars": 3, "review": ""}, "field 'movie' must be of type string, got integer"),
    ({"movie": None, "stars": 3, "review": ""}, "field 'movie' must be of type string, got null"),
    ({"movie": "Up", "stars": "5", "review": ""}, "field 'stars' must be of type integer, got string"),
    ({"movie": "Up", "stars": True, "review": ""}, "field 'stars' must be of type integer, got boolean"),
    ({"movie": "Up", "stars": 4.0, "review": ""}, "field 'stars' must be of type integer, got number"),
    ({"movie": "Up", "stars": [4], "review": ""}, "field 'stars' must be of type integer, got array"),
    ({"movie": "Up", "stars": 3, "review": {"text": "ok"}}, "field 'review' must be of type string, got object"),
    ({"movie": "", "stars": 3, "review": ""}, "field 'movie' must not be empty"),
    ({"movie": " \t ", "stars": 3, "review": ""}, "field 'movie' must not be empty"),
    ({"movie": "x" * 201, "stars": 3, "review": ""}, "field 'movie' must be at most 200 characters, got 201"),
    ({"movie": "Up", "stars": 0, "review": ""}, "field 'stars' must be between 1 and 5, got 0"),
    ({"movie": "Up", "stars": 6, "review": ""}, "field 'stars' must be between 1 and 5, got 6"),
    ({"movie": "Up", "stars": -1, "review": ""}, "field 'stars' must be between 1 and 5, got -1"),
    ({"movie": "Up", "stars": 3, "review": "y" * 1001}, "field 'review' must be at most 1000 characters, got 1001"),
]
# A new rating needs movie and stars; a replacement needs every field.
MISSING_ON_CREATE = [
    ({"stars": 3}, "missing required field(s): movie"),
    ({"movie": "Up", "review": ""}, "missing required field(s): stars"),
    ({}, "missing required field(s): movie, stars"),
]
MISSING_ON_REPLACE = [
    ({"movie": "Up", "stars": 3}, "missing required field(s): review"),
    ({"review": "Fine."}, "missing required field(s): movie, stars"),
    ({}, "missing required field(s): movie, stars, review"),
]


@pytest.mark.parametrize(("body", "message"), BAD_RATINGS + MISSING_ON_CREATE)
def test_create_rejects_bad_ratings(client, auth, body, message):
    response = send_json(client, "/ratings", body, auth)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": 400, "message": message}}
    assert ratings(client) == SEEDED


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"data": {"movie": "Up", "stars": "4"}}, 415, "send a JSON body with the header"),
        ({"data": '{"movie": "Up", "stars": 4}', "content_type": "text/plain"}, 415, "send a JSON body"),
        ({"data": '{"movie": "Up", "stars": 4', "content_type": "application/json"}, 400, "not valid JSON"),
        ({"data": "", "content_type": "application/json"}, 400, "the body is not valid JSON"),
        ({"data": '{"movie": "Up", "stars": NaN}', "content_type": "application/json"}, 400, "NaN is not"),
        ({"data": "x" * 70_000, "content_type": "application/json"}, 413, "exceeds the capacity limit"),
    ],
)
def test_create_rejects_bodies_that_are_not_json(client, auth, kwargs, status, message):
    response = client.post("/ratings", headers=auth, **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == status
    assert message in response.get_json()["error"]["message"]
    assert ratings(client) == SEEDED


@pytest.mark.parametrize("movie", ["Arrival", "arrival", "  ARRIVAL "])
def test_create_conflicts_with_a_rated_movie(client, auth, movie):
    response = client.post("/ratings", json={"movie": movie, "stars": 2}, headers=auth)
    assert response.status_code == 409
    assert response.get_json() == {
        "error": {"code": 409, "message": f"movie {movie.strip()!r} is already rated (rating 2)"}
    }
    assert ratings(client) == SEEDED


# --- REST: the token -----------------------------------------------------------------------

MISSING = "this operation needs the header 'Authorization: Bearer <token>'"
INVALID = "the token is not valid"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, MISSING),
        ({"Authorization": TOKEN}, MISSING),
        ({"Authorization": "Bearer"}, MISSING),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, MISSING),
        ({"Authorization": "Bearer wrong"}, INVALID),
        ({"Authorization": f"Bearer {TOKEN}x"}, INVALID),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, INVALID),
        ({"Authorization": "Bearer tëst-tökén"}, INVALID),
    ],
)
@pytest.mark.parametrize(("method", "path"), [("post", "/ratings"), ("put", "/ratings/1"), ("delete", "/ratings/1")])
def test_writes_need_the_token(client, headers, message, method, path):
    response = getattr(client, method)(path, json={"movie": "Up", "stars": 4, "review": ""}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json() == {"error": {"code": 401, "message": message}}
    assert ratings(client) == SEEDED


def test_the_scheme_name_is_case_insensitive(client):
    response = client.delete("/ratings/3", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 204


def test_reading_needs_no_token(client):
    assert client.get("/ratings").status_code == 200
    assert client.get("/ratings/1").status_code == 200


# --- REST: replacing and deleting ----------------------------------------------------------


def test_replace_rating(client, auth):
    new = {"movie": "Arrival (2016)", "stars": 5, "review": "Better the second time."}
    response = client.put("/ratings/2", json=new, headers=auth)

    assert response.status_code == 200
    assert response.get_json() == {"id": 2, **new}
    assert ratings(client) == [SEEDED[0], {"id": 2, **new}, SEEDED[2]]


@pytest.mark.parametrize(("body", "message"), BAD_RATINGS + MISSING_ON_REPLACE)
def test_replace_rejects_bad_ratings(client, auth, body, message):
    response = send_json(client, "/ratings/2", body, auth, method="put")
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": 400, "message": message}}
    assert ratings(client) == SEEDED


def test_replace_rejects_a_body_that_is_not_json(client, auth):
    response = client.put("/ratings/2", data="movie=Up&stars=4", headers=auth)
    assert response.status_code == 415
    assert ratings(client) == SEEDED


def test_replace_a_missing_rating_is_404(client, auth):
    response = client.put("/ratings/99", json={"movie": "Up", "stars": 4, "review": ""}, headers=auth)
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": 404, "message": "rating 99 does not exist"}}
    assert ratings(client) == SEEDED


def test_replace_conflicts_only_with_another_rating(client, auth):
    clash = client.put("/ratings/2", json={"movie": "spirited away", "stars": 4, "review": ""}, headers=auth)
    assert clash.status_code == 409
    assert clash.get_json()["error"]["message"] == "movie 'spirited away' is already rated (rating 1)"

    # Renaming a rating to its own title (in another case) is not a conflict.
    same = client.put("/ratings/2", json={"movie": "ARRIVAL", "stars": 4, "review": ""}, headers=auth)
    assert same.status_code == 200
    assert same.get_json()["movie"] == "ARRIVAL"


def test_delete_rating(client, auth):
    response = client.delete("/ratings/1", headers=auth)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert client.get("/ratings/1").status_code == 404
    assert ratings(client) == SEEDED[1:]


def test_delete_a_missing_rating_is_404(client, auth):
    response = client.delete("/ratings/99", headers=auth)
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": 404, "message": "rating 99 does not exist"}}


def test_ids_are_never_reused(client, auth):
    client.delete("/ratings/3", headers=auth)
    response = client.post("/ratings", json={"movie": "Up", "stars": 4}, headers=auth)
    assert response.get_json()["id"] == 4


# --- Idempotency: call each method twice ---------------------------------------------------


def test_get_is_safe_and_idempotent(client):
    first, second = client.get("/ratings"), client.get("/ratings")
    assert first.get_json() == second.get_json() == {"items": SEEDED, "total": 3}


def test_put_is_idempotent(client, auth):
    new = {"movie": "Arrival", "stars": 3, "review": "Slower than I remembered."}
    first = client.put("/ratings/2", json=new, headers=auth)
    state_after_one = ratings(client)
    second = client.put("/ratings/2", json=new, headers=auth)

    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json() == {"id": 2, **new}
    assert ratings(client) == state_after_one


def test_delete_is_idempotent(client, auth):
    first = client.delete("/ratings/1", headers=auth)
    state_after_one = ratings(client)
    second = client.delete("/ratings/1", headers=auth)

    # The status differs, the state does not: that is what idempotent means.
    assert (first.status_code, second.status_code) == (204, 404)
    assert ratings(client) == state_after_one == SEEDED[1:]


def test_post_is_not_idempotent(client, auth):
    same = [client.post("/ratings", json={"movie": "Up", "stars": 4}, headers=auth) for _ in range(2)]
    assert [response.status_code for response in same] == [201, 409]

    other = client.post("/ratings", json={"movie": "Up 2", "stars": 4}, headers=auth)
    assert other.status_code == 201
    # Each successful POST made a new resource with a new id.
    assert [rating["id"] for rating in ratings(client)] == [1, 2, 3, 4, 5]


# --- The store on its own ------------------------------------------------------------------


def test_store_starts_empty_with_id_one():
    store = ratings_api.RatingStore()
    assert store.listing() == {"items": [], "total": 0}
    assert store.create({"movie": "Up", "stars": 4, "review": ""})["id"] == 1


def test_store_hands_out_copies():
    store = ratings_api.RatingStore(ratings_api.EXAMPLE_RATINGS)
    store.get(1)["stars"] = 1
    store.listing()["items"][0]["movie"] = "changed"
    assert store.get(1) == SEEDED[0]


def test_store_is_thread_safe():
    store = ratings_api.RatingStore()
    start_together = Barrier(8)

    def create_fifty(thread):
        start_together.wait(timeout=10)
        return [store.create({"movie": f"Movie {thread}-{n}", "stars": 3, "review": ""})["id"] for n in range(50)]

    # Switch between threads as often as possible, so that a missing lock would show.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = [rating_id for batch in pool.map(create_fifty, range(8)) for rating_id in batch]
    finally:
        sys.setswitchinterval(interval)

    assert sorted(ids) == list(range(1, 401))
    listing = store.listing()
    assert listing["total"] == 400
    assert sorted(rating["id"] for rating in listing["items"]) == list(range(1, 401))


# --- JSON-RPC ------------------------------------------------------------------------------


def test_rpc_list(rpc):
    assert rpc("ratings.list") == {"jsonrpc": "2.0", "id": 1, "result": {"items": SEEDED, "total": 3}}


def test_rpc_get(rpc):
    assert rpc("ratings.get", {"id": 2}, call_id="abc") == {"jsonrpc": "2.0", "id": "abc", "result": SEEDED[1]}


def test_rpc_create_replace_delete(rpc, client):
    created = rpc("ratings.create", {"movie": "Up", "stars": 4})["result"]
    assert created == {"id": 4, "movie": "Up", "stars": 4, "review": ""}

    replaced = rpc("ratings.replace", {"id": 4, "movie": "Up", "stars": 5, "review": "Even better."})["result"]
    assert replaced == {"id": 4, "movie": "Up", "stars": 5, "review": "Even better."}
    # REST and RPC are two doors to the same store.
    assert client.get("/ratings/4").get_json() == replaced

    assert rpc("ratings.delete", {"id": 4})["result"] == {"deleted": 4}
    assert client.get("/ratings/4").status_code == 404


def test_rest_and_rpc_answer_alike(client, rpc):
    assert rpc("ratings.get", {"id": 1})["result"] == client.get("/ratings/1").get_json()
    assert rpc("ratings.list")["result"] == client.get("/ratings").get_json()


def test_rpc_error_codes_are_documented():
    assert ratings_rpc.PARSE_ERROR == -32700
    assert ratings_rpc.INVALID_REQUEST == -32600
    assert ratings_rpc.METHOD_NOT_FOUND == -32601
    assert ratings_rpc.INVALID_PARAMS == -32602
    assert ratings_rpc.UNAUTHORIZED == -32001
    assert ratings_rpc.NOT_FOUND == -32004
    assert ratings_rpc.CONFLICT == -32009
    for code in (-32700, -32600, -32601, -32602, -32001, -32004, -32009):
        assert str(code) in ratings_rpc.__doc__


def test_rpc_parse_error(client):
    response = client.post("/rpc", data='{"jsonrpc": "2.0", "method"', content_type="application/json")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] is None
    assert body["error"]["code"] == -32700
    assert body["error"]["message"].startswith("the body is not valid JSON: ")


def test_rpc_needs_a_json_content_type(client):
    response = client.post("/rpc", data='{"jsonrpc": "2.0", "method": "ratings.list", "id": 1}')
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == 415


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (42, 'a call must be an object with "jsonrpc": "2.0"'),
        ({"method": "ratings.list", "id": 1}, 'a call must be an object with "jsonrpc": "2.0"'),
        ({"jsonrpc": "1.0", "method": "ratings.list", "id": 1}, 'a call must be an object with "jsonrpc": "2.0"'),
        ({"jsonrpc": "2.0", "id": 1}, '"method" must be a string'),
        ({"jsonrpc": "2.0", "method": 5, "id": 1}, '"method" must be a string'),
        ({"jsonrpc": "2.0", "method": "ratings.list", "id": True}, '"id" must be a string, a number or null'),
        ({"jsonrpc": "2.0", "method": "ratings.list", "id": [1]}, '"id" must be a string, a number or null'),
        ([], "a batch must contain at least one call"),
    ],
)
def test_rpc_invalid_request(client, call, message):
    response = client.post("/rpc", json=call)
    assert response.status_code == 200
    assert response.get_json() == {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}


def test_rpc_method_not_found(rpc):
    assert rpc("ratings.rate", {"id": 1})["error"] == {
        "code": -32601,
        "message": "method 'ratings.rate' does not exist",
    }


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("ratings.list", [], "params must be an object of named params, got array"),
        ("ratings.list", {"page": 2}, "unknown param 'page'"),
        ("ratings.get", {}, "missing required param: id"),
        ("ratings.get", {"id": "1"}, "param 'id' must be of type integer, got string"),
        ("ratings.get", {"id": True}, "param 'id' must be of type integer, got boolean"),
        ("ratings.get", {"id": 1, "verbose": True}, "unknown param 'verbose'"),
        ("ratings.delete", {"id": 1.0}, "param 'id' must be of type integer, got number"),
        ("ratings.replace", {"movie": "Up", "stars": 4, "review": ""}, "missing required param: id"),
        ("ratings.replace", {"id": 1, "movie": "Up", "stars": 4}, "missing required field(s): review"),
        *(
            ("ratings.create", body, message)
            for body, message in BAD_RATINGS + MISSING_ON_CREATE
            if isinstance(body, dict)
        ),
    ],
)
def test_rpc_invalid_params(rpc, client, method, params, message):
    assert rpc(method, params)["error"] == {"code": -32602, "message": message}
    assert ratings(client) == SEEDED


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("ratings.create", {"movie": "Up", "stars": 4}),
        ("ratings.replace", {"id": 1, "movie": "Up", "stars": 4, "review": ""}),
        ("ratings.delete", {"id": 1}),
    ],
)
@pytest.mark.parametrize(("headers", "message"), [({}, MISSING), ({"Authorization": "Bearer wrong"}, INVALID)])
def test_rpc_unauthorized(rpc, client, method, params, headers, message):
    assert rpc(method, params, headers=headers)["error"] == {"code": -32001, "message": message}
    assert ratings(client) == SEEDED


def test_rpc_token_in_params_is_refused(rpc, client):
    # Credentials belong in the Authorization header, never in params or the URL.
    answer = rpc("ratings.create", {"movie": "Up", "stars": 4, "token": TOKEN}, headers={})
    assert answer["error"]["code"] == -32001
    answer = rpc("ratings.create", {"movie": "Up", "stars": 4, "token": TOKEN})
    assert answer["error"] == {
        "code": -32602,
        "message": "unknown field 'token': allowed fields are movie, stars, review",
    }


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("ratings.get", {"id": 99}),
        ("ratings.replace", {"id": 99, "movie": "Up", "stars": 4, "review": ""}),
        ("ratings.delete", {"id": 99}),
    ],
)
def test_rpc_not_found(rpc, method, params):
    assert rpc(method, params, call_id=5) == {
        "jsonrpc": "2.0",
        "id": 5,
        "error": {"code": -32004, "message": "rating 99 does not exist"},
    }


def test_rpc_conflict(rpc, client):
    answer = rpc("ratings.create", {"movie": "THE ROOM", "stars": 5})
    assert answer["error"] == {"code": -32009, "message": "movie 'THE ROOM' is already rated (rating 3)"}
    answer = rpc("ratings.replace", {"id": 1, "movie": "arrival", "stars": 5, "review": ""})
    assert answer["error"] == {"code": -32009, "message": "movie 'arrival' is already rated (rating 2)"}
    assert ratings(client) == SEEDED


def test_rpc_delete_twice(rpc, client):
    assert rpc("ratings.delete", {"id": 3})["result"] == {"deleted": 3}
    assert rpc("ratings.delete", {"id": 3})["error"]["code"] == -32004
    assert ratings(client) == SEEDED[:2]


def test_rpc_notification_runs_but_gets_no_answer(client, auth):
    notification = {"jsonrpc": "2.0", "method": "ratings.create", "params": {"movie": "Up", "stars": 4}}
    response = client.post("/rpc", json=notification, headers=auth)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert client.get("/ratings/4").get_json()["movie"] == "Up"


def test_rpc_notification_with_an_error_gets_no_answer_either(client):
    response = client.post("/rpc", json={"jsonrpc": "2.0", "method": "ratings.nope"})
    assert response.status_code == 204
    assert response.get_data() == b""


def test_rpc_batch(client, auth):
    batch = [
        {"jsonrpc": "2.0", "method": "ratings.get", "params": {"id": 1}, "id": 1},
        {"jsonrpc": "2.0", "method": "ratings.delete", "params": {"id": 3}},  # a notification
        {"jsonrpc": "2.0", "method": "ratings.get", "params": {"id": 3}, "id": 2},
        "not a call",
    ]
    response = client.post("/rpc", json=batch, headers=auth)

    assert response.status_code == 200
    assert response.get_json() == [
        {"jsonrpc": "2.0", "id": 1, "result": SEEDED[0]},
        {"jsonrpc": "2.0", "id": 2, "error": {"code": -32004, "message": "rating 3 does not exist"}},
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32600, "message": 'a call must be an object with "jsonrpc": "2.0"'},
        },
    ]


def test_rpc_batch_of_notifications_gets_no_answer(client):
    batch = [{"jsonrpc": "2.0", "method": "ratings.list"}, {"jsonrpc": "2.0", "method": "ratings.list"}]
    response = client.post("/rpc", json=batch)
    assert response.status_code == 204
    assert response.get_data() == b""


def test_exercise_5_checks_the_description_the_notebook_builds():
    """What a learner validates in the notebook (its `description` cell) is what exercise 5's check validates."""
    from pathlib import Path

    import exercises_02

    notebook = Path(__file__).resolve().parent.parent / "02_rest_and_http_verbs" / "02_rest_and_http_verbs.ipynb"
    cells = ["".join(cell["source"]) for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]]
    source = next(cell for cell in cells if cell.startswith("rating_schema = {"))
    namespace = {"ratings_api": ratings_api, "TOKEN": ratings_api.TEACHING_TOKEN}
    exec(source.split("\n# A description is only worth")[0], namespace)  # noqa: S102 - the notebook's own cell

    def shape(description):  # everything but the PUT's body schema, which the check does not need
        paths = json.loads(json.dumps(description["paths"]))
        paths["/ratings/{rating_id}"]["put"].pop("requestBody")
        return {**description, "paths": paths}

    assert shape(namespace["description"]) == shape(exercises_02.DESCRIPTION_5)
