"""The API describes itself: /api/v1/openapi.json is valid OpenAPI 3.0.3, built from the same models that
validate, and agrees with what the app does; /api/v1/ links to everything; /api/docs is served from the
app's own files."""

import json
from urllib.parse import urljoin

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from fraud_app import contract, create_app, openapi
from fraud_app.schema import Schema
from train import FEATURES

TOKEN = "openapi-test-token"
#: Keywords of JSON Schema 2020-12 that OpenAPI 3.0's schema objects do not have (or spell otherwise).
NOT_IN_30 = {"$defs", "$schema", "const", "examples", "prefixItems", "unevaluatedProperties", "dependentRequired",
             "dependentSchemas", "if", "then", "else", "contentMediaType", "$anchor", "$dynamicRef"}


@pytest.fixture(scope="module")
def app(model_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("openapi")
    return create_app({"MODEL_PATH": str(model_path), "DATABASE": str(folder / "db.sqlite3"), "API_TOKEN": TOKEN})


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def description(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def walk(node, path=()):
    """Every (path, key, value) of a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


def test_the_description_is_valid_openapi_3_0_3(description):
    assert description["openapi"] == "3.0.3"
    validate(description)  # raises with the reason when it is not


def test_the_validator_would_refuse_a_broken_description(description):
    """The check above can fail: the same document with an operation that has no responses is refused."""
    broken = json.loads(json.dumps(description))
    del broken["paths"]["/health"]["get"]["responses"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def schemas_of(description):
    """Every schema object in the document (components, parameters, bodies, headers)."""
    found = list(description["components"]["schemas"].values())
    for _path, key, value in walk(description):
        if key == "schema" and isinstance(value, dict):
            found.append(value)
    return found


def test_no_schema_uses_a_keyword_of_json_schema_2020_12_only(description):
    for schema in schemas_of(description):
        for path, key, value in walk(schema):
            if "properties" in path[-1:]:
                continue  # a property's name, not a keyword
            assert key not in NOT_IN_30, f"{key} at {path}"
            if key == "type":
                assert isinstance(value, str), f"type {value!r} at {path}"
                assert value != "null", f"type null at {path}"
            if key in ("exclusiveMinimum", "exclusiveMaximum"):
                assert isinstance(value, bool)


def test_the_converter_rewrites_2020_12_into_3_0():
    schema = {"$schema": "x", "anyOf": [{"type": "integer", "exclusiveMinimum": 0}, {"type": "null"}],
              "examples": [3], "properties": {"status": {"const": "ok"}, "box": {"$ref": "#/a", "title": "Box"}}}
    assert openapi.to_openapi_30(schema) == {
        "type": "integer", "minimum": 0, "exclusiveMinimum": True, "nullable": True, "example": 3,
        "properties": {"status": {"enum": ["ok"]}, "box": {"allOf": [{"$ref": "#/a"}], "title": "Box"}},
    }


EXPECTED_OPERATIONS = {
    ("get", "/api/v1/"), ("get", "/api/v1/openapi.json"), ("get", "/health"), ("get", "/ready"),
    ("get", "/api/v1/model"),
    ("post", "/api/v1/predict"), ("post", "/api/v1/predictions"), ("get", "/api/v1/predictions"),
    ("get", "/api/v1/predictions/{prediction_id}"), ("delete", "/api/v1/predictions/{prediction_id}"),
    ("put", "/api/v1/predictions/{prediction_id}/label"), ("get", "/api/v1/monitoring"), ("get", "/metrics"),
}


def operations(description):
    return {(method, path): operation for path, item in description["paths"].items()
            for method, operation in item.items() if method != "parameters"}


def test_every_operation_of_the_app_is_described(description, app):
    assert set(operations(description)) == EXPECTED_OPERATIONS
    # ...and the app has no JSON route that the description leaves out (HEAD and OPTIONS come with every route).
    served = {(method.lower(), rule.rule.replace("<int:prediction_id>", "{prediction_id}"))
              for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in ("api", "openapi", "monitoring", "metrics")
              and rule.endpoint != "openapi.root_without_slash"  # a redirect to /api/v1/, not an operation
              or rule.endpoint in ("web.health", "web.ready") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == EXPECTED_OPERATIONS


def test_the_private_operations_need_the_bearer_token_and_the_open_ones_do_not(description):
    assert description["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "One of the server's FRAUD_API_TOKEN"}
    assert description["components"]["securitySchemes"]["metricsAuth"]["scheme"] == "bearer"
    for (method, path), operation in operations(description).items():
        private = path.startswith(("/api/v1/predictions", "/api/v1/monitoring"))
        # /predict and the model card are open, and answer more with the token: {} is "or no security"
        optional = path in ("/api/v1/predict", "/api/v1/model")
        expected = [{"bearerAuth": []}, {"metricsAuth": []}] if path == "/metrics" else (
            [{"bearerAuth": []}] if private else [{}, {"bearerAuth": []}] if optional else None)
        assert operation.get("security") == expected, (method, path)
        if private:
            assert operation["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}


def test_every_error_answer_has_the_error_shape(description):
    for name, answer in description["components"]["responses"].items():
        assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, name
    error = description["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["code", "message"]
    assert set(error["properties"]) == {"code", "message", "details", "omitted"}  # omitted: past 20 problems


def test_the_transaction_schema_holds_each_features_type_range_and_categories(description):
    transaction = description["components"]["schemas"]["Transaction"]
    assert transaction["required"] == [feature["name"] for feature in FEATURES]
    assert transaction["additionalProperties"] is False
    for feature in FEATURES:
        field = transaction["properties"][feature["name"]]
        assert field["title"] == feature["label"]
        assert field["description"] == feature["description"]
        expected_type = {"float": "number", "int": "integer", "bool": "boolean", "category": "string"}
        assert field["type"] == expected_type[feature["type"]]
        if feature["type"] in ("float", "int"):
            assert (field["minimum"], field["maximum"]) == (feature["min"], feature["max"])
        if feature["type"] == "category":
            assert field["enum"] == feature["categories"]


def test_the_batch_holds_1_to_max_batch_transactions(model_path, tmp_path):
    app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3"), "MAX_BATCH": 7})
    batch = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]["TransactionBatch"]
    assert (batch["properties"]["transactions"]["minItems"], batch["properties"]["transactions"]["maxItems"]) == (1, 7)


@pytest.mark.parametrize(("name", "flagged"), [("ordinary", False), ("risky", True)])
def test_the_examples_are_real_transactions_scored_as_they_say(description, client, name, flagged):
    body = description["paths"]["/api/v1/predict"]["post"]["requestBody"]["content"]["application/json"]
    example = body["examples"][name]["value"]
    answer = client.post("/api/v1/predict", json=example, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.get_json()["is_fraud"] is flagged
    assert (answer.get_json()["fraud_probability"] > 0.5) is flagged  # clearly one side, not near the threshold


def test_creation_links_to_reading_labelling_and_deleting(description):
    created = description["paths"]["/api/v1/predictions"]["post"]["responses"]["201"]
    ids = {operation["operationId"] for operation in operations(description).values()}
    assert set(created["links"]) == {"GetPrediction", "LabelPrediction", "DeletePrediction"}
    for link in created["links"].values():
        assert link["operationId"] in ids
        assert link["parameters"] == {"prediction_id": "$response.body#/id"}
    assert created["headers"]["Location"]["required"] is True


def test_the_models_validate_as_the_app_does():
    """The class the description comes from is the class that validates (the twin uses it too)."""
    schema = Schema(FEATURES)
    model = contract.transaction_model(schema)
    assert model is schema.model is contract.transaction_model(schema)
    ordinary = openapi.EXAMPLES["ordinary"]["value"]
    assert model.model_validate({**ordinary, "amount": 42}).amount == 42.0
    for bad in ({"amount": "42"}, {"amount": True}, {"hour": 3.0}, {"is_online": 1}, {"merchant_category": "casino"},
                {"colour": "red"}, {"hour": 24}):
        with pytest.raises(contract.pydantic.ValidationError):
            model.model_validate({**ordinary, **bad})


@pytest.mark.parametrize("name", ["model_dump", "_secret", "class", "two words"])
def test_a_feature_name_that_cannot_be_a_field_is_refused_clearly(name):
    with pytest.raises(ValueError, match="cannot name a field"):
        contract.transaction_model(Schema([{**FEATURES[1], "name": name}]))


def test_the_api_root_links_to_the_description_the_docs_and_the_resources(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    links = response.get_json()["links"]
    # Relative to /api/v1/, each leads to a page that answers.
    for name, link in links.items():
        target = urljoin("/api/v1/", link["href"])
        method = link.get("methods", ["GET"])[0]
        body = openapi.EXAMPLES["ordinary"]["value"] if method == "POST" else None
        answer = client.open(target, method=method, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code in (200, 201), (name, target)
    assert urljoin("/api/v1/", links["description"]["href"]) == "/api/v1/openapi.json"
    assert urljoin("/api/v1/", links["docs"]["href"]) == "/api/docs"


def test_the_docs_page_loads_its_files_from_the_app_and_runs_no_inline_script(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>" not in html
    assert "<script type" not in html
    for asset in ("api/docs/assets/swagger-ui.css", "api/docs/assets/swagger-ui-bundle.js", "static/docs.js"):
        assert f'"../{asset}"' in html
        with client.get("/" + asset) as answer:  # a file's answer holds the file open until it is closed
            assert answer.status_code == 200, asset
            assert len(answer.data) > 500
    assert "http://" not in html
    assert "https://" not in html
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "connect-src 'self'" in csp


def test_only_the_docs_page_may_run_script(client):
    assert "script-src" not in client.get("/").headers["Content-Security-Policy"]
    assert "script-src" not in client.get("/api/v1/").headers["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["index.html", "swagger-initializer.js", "oauth2-redirect.html", "..%2Fsetup.py"])
def test_only_the_pages_own_files_of_the_package_are_served(client, name):
    assert client.get(f"/api/docs/assets/{name}").status_code == 404


def test_the_form_links_to_the_docs_page(client):
    assert '<a href="api/docs">API docs</a>' in client.get("/").get_data(as_text=True)


def test_the_root_without_its_slash_redirects_relatively(client):
    """/api/v1 -> v1/: relative, so that behind a prefix it stays there (Werkzeug's would name /api/v1/)."""
    response = client.get("/api/v1")
    assert response.status_code == 308
    assert response.headers["Location"] == "v1/"
    assert urljoin("http://hub/proxy/8000/api/v1", response.headers["Location"]) == "http://hub/proxy/8000/api/v1/"
    assert response.is_json


def test_metrics_are_described_only_when_the_app_keeps_them(model_path, tmp_path):
    app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3"), "API_TOKEN": TOKEN,
                      "METRICS": False})
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert "/metrics" not in paths
    assert "/api/v1/monitoring" in paths
    assert app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_the_monitoring_answer_conforms_to_its_described_schema(description, client):
    """Empty, then with a labelled prediction: the answer validates against the description's schema."""
    from openapi_schema_validator import OAS30Validator

    schema = description["paths"]["/api/v1/monitoring"]["get"]["responses"]["200"]["content"]["application/json"]
    validator = OAS30Validator(schema["schema"])
    auth = {"Authorization": f"Bearer {TOKEN}"}
    validator.validate(client.get("/api/v1/monitoring", headers=auth).get_json())
    created = client.post("/api/v1/predictions", json=openapi.EXAMPLES["ordinary"]["value"], headers=auth).get_json()
    client.put(f"/api/v1/predictions/{created['id']}/label", json={"is_fraud": True}, headers=auth)
    answer = client.get("/api/v1/monitoring?last=5", headers=auth).get_json()
    validator.validate(answer)
    assert answer["counts"]["labelled"] >= 1
    assert answer["performance"] is not None


def test_the_description_says_what_a_client_without_the_token_gets(description):
    predict = description["paths"]["/api/v1/predict"]["post"]
    assert predict["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}
    too_many = description["components"]["responses"]["TooManyRequests"]
    assert too_many["headers"]["Retry-After"]["required"] is True
    assert "FRAUD_RATE_LIMIT" in predict["description"]
    assert "FRAUD_OPEN_DEMO" in predict["description"]
    schemas = description["components"]["schemas"]
    assert schemas["Prediction"]["required"] == ["is_fraud", "model_version"]  # the probability: with the token
    assert "Only with the token" in schemas["Prediction"]["properties"]["fraud_probability"]["description"]
    assert schemas["ModelCard"]["required"] == ["model_version", "artefact_sha256", "features"]
    assert set(schemas["ModelCard"]["properties"]) >= {"threshold", "metrics", "withheld"}
    assert schemas["ErrorBody"]["properties"]["details"]["maxItems"] == 20
