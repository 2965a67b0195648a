"""The stored-prediction REST resource: create, read, list, label, delete, and who may write.

Every test runs twice: on SQLite (the default) and on PostgreSQL (DATABASE_URL), which must answer alike.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)  # see conftest.py


def location(response) -> str:
    """The created resource's path: Location is relative to the request's URL, as a client resolves it."""
    return urljoin(response.request.path, response.headers["Location"])


@pytest.fixture
def created(client, auth, transaction):
    """One stored prediction: the response to its creation."""
    response = client.post("/api/v1/predictions", json=transaction, headers=auth.valid)
    assert response.status_code == 201
    return response


def test_create_answers_201_with_location_and_the_resource(created, transaction):
    body = created.get_json()
    assert created.headers["Location"] == f"predictions/{body['id']}"  # relative: right behind any path prefix
    assert location(created) == f"/api/v1/predictions/{body['id']}"
    assert body["inputs"] == transaction
    assert body["label"] is None
    assert set(body) == {
        "id",
        "inputs",
        "fraud_probability",
        "is_fraud",
        "threshold",
        "model_version",
        "label",
        "created_at",
        "updated_at",
    }
    assert body["created_at"] == body["updated_at"]
    assert body["created_at"].endswith("Z")


def test_the_stored_outcome_is_the_predicted_one(client, created, transaction):
    predicted = client.post("/api/v1/predict", json=transaction).get_json()
    stored = created.get_json()
    assert {k: stored[k] for k in predicted} == predicted


def test_read_it_back(client, created, auth):
    assert client.get(location(created), headers=auth.valid).get_json() == created.get_json()


def test_unknown_ids_are_404_json(client, auth):
    for response in (
        client.get("/api/v1/predictions/999", headers=auth.valid),
        client.put("/api/v1/predictions/999/label", json={"is_fraud": True}, headers=auth.valid),
        client.delete("/api/v1/predictions/999", headers=auth.valid),
    ):
        assert response.status_code == 404
        assert response.get_json()["error"] == {"code": "not_found", "message": "prediction 999 does not exist"}


def test_label_is_an_idempotent_replace(client, auth, created, monkeypatch):
    import fraud_app.db

    # A clock the test moves: a change must bump updated_at, a repeat must not.
    later = [datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)]
    monkeypatch.setattr(fraud_app.db, "now", lambda: later[0])
    url = location(created) + "/label"
    first = client.put(url, json={"is_fraud": True}, headers=auth.valid)
    later[0] += timedelta(seconds=1)
    second = client.put(url, json={"is_fraud": True}, headers=auth.valid)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()  # same state, timestamps included
    assert first.get_json()["label"] is True
    assert first.get_json()["updated_at"] == "2030-01-01T12:00:00.000Z"
    assert first.get_json()["created_at"] == created.get_json()["created_at"]
    later[0] += timedelta(seconds=1)
    changed = client.put(url, json={"is_fraud": False}, headers=auth.valid).get_json()
    assert changed["label"] is False
    assert changed["updated_at"] == "2030-01-01T12:00:02.000Z"


@pytest.mark.parametrize("body", [{"is_fraud": "yes"}, {"is_fraud": 1}, {}, {"is_fraud": True, "x": 1}, [True]])
def test_a_bad_label_is_a_400(client, auth, created, body):
    response = client.put(location(created) + "/label", json=body, headers=auth.valid)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_delete_then_gone(client, auth, created):
    url = location(created)
    response = client.delete(url, headers=auth.valid)
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert client.get(url, headers=auth.valid).status_code == 404
    assert client.delete(url, headers=auth.valid).status_code == 404  # same state: idempotent


def test_an_invalid_transaction_is_not_stored(client, auth, transaction):
    response = client.post("/api/v1/predictions", json={**transaction, "hour": 25}, headers=auth.valid)
    assert response.status_code == 400
    assert client.get("/api/v1/predictions", headers=auth.valid).get_json()["total"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/predictions", "transaction"),
        ("put", "/api/v1/predictions/1/label", {"is_fraud": True}),
        ("delete", "/api/v1/predictions/1", None),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ],
)
def test_writes_need_the_token(client, auth, created, transaction, method, path, body, headers):
    payload = transaction if body == "transaction" else body
    response = getattr(client, method)(path, json=payload, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/predictions/1", headers=auth.valid).get_json() == created.get_json()  # nothing changed


def test_writes_are_refused_when_no_token_is_configured(client, app, auth, transaction):
    app.config["API_TOKEN"] = None
    response = client.post("/api/v1/predictions", json=transaction, headers=auth.valid)
    assert response.status_code == 503  # no token could help: the server is not set up for writes
    assert response.get_json()["error"]["code"] == "writes_disabled"
    assert "FRAUD_API_TOKEN" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "Basic eDp5"}])
def test_reads_need_the_token(client, created, auth, headers):
    """Stored predictions are card transactions: without the token nobody may walk the ids."""
    for path in ("/api/v1/predictions", location(created)):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert str(created.get_json()["inputs"]["amount"]) not in response.get_data(as_text=True)
    assert client.get(location(created), headers=auth.valid).status_code == 200


def test_two_tokens_during_a_rotation_are_both_accepted(client, app, created, auth):
    """FRAUD_API_TOKEN=new,old: clients move to the new token while the old one still works; then old goes."""
    new = "rotated-token-0123456789"
    app.config["API_TOKEN"] = (new, auth.token)
    for token in (new, auth.token):
        assert client.get(location(created), headers={"Authorization": f"Bearer {token}"}).status_code == 200
    app.config["API_TOKEN"] = (new,)
    assert client.get(location(created), headers=auth.valid).status_code == 401
    assert client.get(location(created), headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_reads_are_refused_when_no_token_is_configured(client, app, created, auth):
    app.config["API_TOKEN"] = None
    response = client.get("/api/v1/predictions", headers=auth.valid)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "reads_disabled"


def make(client, auth, transaction, n):
    for hour in range(n):
        client.post("/api/v1/predictions", json={**transaction, "hour": hour}, headers=auth.valid)


def test_listing_is_paginated(client, auth, transaction):
    make(client, auth, transaction, 23)
    first = client.get("/api/v1/predictions", headers=auth.valid).get_json()
    assert (len(first["items"]), first["total"], first["limit"], first["offset"]) == (20, 23, 20, 0)
    rest = client.get("/api/v1/predictions?limit=20&offset=20", headers=auth.valid).get_json()
    assert [item["inputs"]["hour"] for item in rest["items"]] == [20, 21, 22]
    assert [item["id"] for item in first["items"] + rest["items"]] == list(range(1, 24))
    assert client.get("/api/v1/predictions?limit=100&offset=50", headers=auth.valid).get_json()["items"] == []


def test_following_next_walks_every_prediction_once(client, auth, transaction):
    make(client, auth, transaction, 23)
    seen, url, pages = [], "/api/v1/predictions?limit=10", []
    while url is not None:
        page = client.get(url, headers=auth.valid).get_json()
        pages.append(page)
        seen += [item["id"] for item in page["items"]]
        url = None if page["next"] is None else "/api/v1/" + page["next"]  # relative to .../predictions
    assert seen == list(range(1, 24))
    assert [len(page["items"]) for page in pages] == [10, 10, 3]
    assert [page["total"] for page in pages] == [23, None, None]  # counted on the first page only
    assert [page["after"] for page in pages] == [None, 10, 20]
    assert [page["next"] for page in pages] == ["predictions?limit=10&after=10", "predictions?limit=10&after=20", None]


def test_a_deletion_between_pages_skips_nothing(client, auth, transaction):
    """Offset pages shift when a row before them goes: the keyset page after the last id seen does not."""
    make(client, auth, transaction, 6)
    first = client.get("/api/v1/predictions?limit=2", headers=auth.valid).get_json()
    assert [item["id"] for item in first["items"]] == [1, 2]
    assert client.delete("/api/v1/predictions/1", headers=auth.valid).status_code == 204
    following = client.get("/api/v1/" + first["next"], headers=auth.valid).get_json()
    assert [item["id"] for item in following["items"]] == [3, 4]  # offset=2 would now answer 4, 5


def test_stored_predictions_are_never_cached(client, auth, created):
    for path in ("/api/v1/predictions", location(created), "/api/v1/predictions/999"):
        assert client.get(path, headers=auth.valid).headers["Cache-Control"] == "no-store", path
    assert created.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "offset=-1", "offset=1.5", "limit=",
                                   "after=-1", "after=x", "after=" + "9" * 12])
def test_bad_pagination_is_a_400_naming_the_parameter(client, query, auth):
    response = client.get(f"/api/v1/predictions?{query}", headers=auth.valid)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_query"
    assert f"query parameter '{query.split('=')[0]}'" in error["message"]
