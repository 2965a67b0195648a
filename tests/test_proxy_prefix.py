"""The fraud app and the snippets of chapters 01 and 02 work behind a path prefix, as on Binder.

On a JupyterHub (Binder is one) a server started in a notebook is reached through
jupyter-server-proxy at ``<hub prefix>/proxy/<port>/``: the proxy strips that prefix before it
forwards the request, and tells the app about it only in the ``X-Forwarded-Prefix`` header. So
every link, form action, stylesheet and ``Location`` must resolve, relative to the prefixed URL,
to something under the prefix that answers 2xx.

The tests go through a real Jupyter server with jupyter-server-proxy, at the address that
``course.public_url`` prints on a hub, and, for the fraud app, also through a bare proxy that
strips the prefix and says nothing: relative links need no help from the proxy.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

import course

ROOT = Path(__file__).resolve().parent.parent
HUB_PREFIX = "/user/ada/"  # as a JupyterHub sets JUPYTERHUB_SERVICE_PREFIX
JUPYTER_TOKEN = "prefix-test-token"
API_TOKEN = "prefix-test-api-token"
REFERENCES = {"a": "href", "link": "href", "script": "src", "img": "src", "form": "action"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length"}


@pytest.fixture(scope="module")
def jupyter():
    """A Jupyter server with jupyter-server-proxy, under a hub-style base URL, as on Binder."""
    server = course.serve_command(
        [
            str(Path(sys.executable).parent / "jupyter"), "server", "--no-browser", "--port={port}",
            "--ServerApp.port_retries=0", f"--ServerApp.base_url={HUB_PREFIX}",
            f"--IdentityProvider.token={JUPYTER_TOKEN}", f"--ServerApp.root_dir={ROOT}", "--allow-root",
        ],
        name="jupyter server",
        env={"JUPYTER_PLATFORM_DIRS": "1"},
        ready_path=f"{HUB_PREFIX}api",
        timeout=60,
        announce=False,
    )
    with server:
        yield server


def plain_proxy(environ, start_response):
    """A WSGI app that forwards ``/proxy/<port>/<path>`` to ``127.0.0.1:<port>/<path>``, and nothing more."""
    match = re.fullmatch(r"/proxy/(\d+)(/.*)?", environ["PATH_INFO"])
    if not match:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not a proxied path"]
    query = environ.get("QUERY_STRING")
    url = f"http://127.0.0.1:{match.group(1)}{match.group(2) or '/'}" + (f"?{query}" if query else "")
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
               if key.startswith("HTTP_") and key != "HTTP_HOST"}
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    answer = requests.request(environ["REQUEST_METHOD"], url, data=body, headers=headers,
                              allow_redirects=False, timeout=10)
    start_response(f"{answer.status_code} {answer.reason}",
                   [(key, value) for key, value in answer.headers.items() if key.lower() not in HOP_BY_HOP])
    return [answer.content]


@pytest.fixture(scope="module")
def bare_proxy():
    with course.serve_app(plain_proxy, name="bare proxy", announce=False) as server:
        yield server


@pytest.fixture
def hub_session(jupyter, monkeypatch):
    """A browser-like session logged in to the Jupyter server (by cookie, as after Binder's launch)."""
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", HUB_PREFIX)
    session = requests.Session()
    assert session.get(f"{jupyter.url}{HUB_PREFIX}login?token={JUPYTER_TOKEN}", timeout=10).ok
    return session


def hub_url(jupyter, app_server) -> str:
    """The app's root as a notebook on the hub prints it (``course.public_url``), made absolute."""
    return jupyter.url + app_server.public_url


@pytest.fixture(scope="module")
def fraud_server(tmp_path_factory):
    """The fraud app, serving on loopback with a freshly trained model."""
    from fraud_app import create_app
    from train import train

    folder = tmp_path_factory.mktemp("fraud")
    train(ROOT / "data" / "transactions.csv", folder / "fraud_model.pkl", seed=42)
    app = create_app({"MODEL_PATH": str(folder / "fraud_model.pkl"), "DATABASE": str(folder / "db.sqlite3"),
                      "API_TOKEN": API_TOKEN})
    with course.serve_app(app, name="fraud app", announce=False) as server:
        yield server


class References(HTMLParser):
    """Every URL a page refers to (links, stylesheets, scripts, images, form actions) and its form's fields."""

    def __init__(self):
        super().__init__()
        self.urls, self.fields, self._select = [], {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if REFERENCES.get(tag) in attrs:
            self.urls.append((tag, attrs[REFERENCES[tag]] or ""))
        elif tag == "form":  # no action: the form posts to the page's own URL (action="" is invalid HTML)
            self.urls.append((tag, ""))
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and (self._select not in self.fields or "selected" in attrs):
            self.fields[self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def references(html: str) -> References:
    parser = References()
    parser.feed(html)
    return parser


def assert_every_reference_resolves(session, page, prefix_url):
    """Each URL on ``page`` resolves under the prefix and answers 2xx; returns the form's (action, fields)."""
    found = references(page.text)
    assert found.urls, "the page refers to nothing"
    form = None
    for tag, reference in found.urls:
        target = urljoin(page.url, reference)
        if urlsplit(target).netloc != urlsplit(prefix_url).netloc:
            continue  # a link to another site
        assert target.startswith(prefix_url), f"<{tag}> {reference!r} on {page.url} leads out of the prefix: {target}"
        if tag == "form":
            form = (target, found.fields)
        else:
            answer = session.get(target, timeout=10)
            assert answer.ok, f"<{tag}> {reference!r} on {page.url} -> {target}: {answer.status_code}"
    return form


def check_fraud_app(session, root_url):
    """Walk the app as a person and as an API client would, starting from its prefixed root."""
    form_page = session.get(root_url, timeout=10)
    assert form_page.status_code == 200
    assert "text/html" in form_page.headers["Content-Type"]
    action, fields = assert_every_reference_resolves(session, form_page, root_url)
    assert fields, "the form has no fields"

    result = session.post(action, data=fields, timeout=10)
    assert result.status_code == 200, result.text[:500]
    assert 'id="fraud-decision"' in result.text  # the decision: what a person without the token is shown
    assert_every_reference_resolves(session, result, root_url)

    # A page further down (an unknown one: its error page links back up) resolves the same way.
    missing = session.get(urljoin(root_url, "no/such/page"), timeout=10)
    assert missing.status_code == 404
    assert_every_reference_resolves(session, missing, root_url)

    # The API's Location is relative: resolved against the request's URL it stays under the prefix.
    created = session.post(urljoin(root_url, "api/v1/predictions"), json=as_json(fields), timeout=10,
                           headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert created.status_code == 201, created.text
    location = urljoin(created.url, created.headers["Location"])
    assert location.startswith(root_url)
    stored = session.get(location, timeout=10, headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert stored.status_code == 200
    assert stored.json()["id"] == created.json()["id"]


def as_json(fields: dict) -> dict:
    """The form's default values as a JSON transaction."""
    def value(text: str):
        if text in ("true", "false"):
            return text == "true"
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text

    return {name: value(text) for name, text in fields.items()}


def test_the_printed_hub_address_is_the_proxy_path(hub_session, jupyter, fraud_server):
    assert hub_url(jupyter, fraud_server) == f"{jupyter.url}{HUB_PREFIX}proxy/{fraud_server.port}/"


def test_the_fraud_app_through_jupyter_server_proxy(hub_session, jupyter, fraud_server):
    check_fraud_app(hub_session, hub_url(jupyter, fraud_server))


def test_the_fraud_app_through_a_proxy_that_only_strips_the_prefix(bare_proxy, fraud_server):
    """Relative links need no X-Forwarded-Prefix: any proxy that strips a prefix will do."""
    check_fraud_app(requests.Session(), f"{bare_proxy.url}/proxy/{fraud_server.port}/")


def test_hello_api_through_jupyter_server_proxy(hub_session, jupyter):
    import hello_api

    with course.serve_app(hello_api.create_app(), name="hello_api", announce=False) as server:
        root = hub_url(jupyter, server)
        index = hub_session.get(root, timeout=10)
        assert index.status_code == 200
        assert index.json()["name"] == hello_api.API_NAME
        # The endpoint list names paths from the API's root; a client joins them to the address it uses.
        paths = {endpoint["path"] for endpoint in index.json()["endpoints"]}
        assert paths == {"/", "/greet", "/add", "/echo"}
        greet = hub_session.get(urljoin(root, "greet"), params={"name": "Ada"}, timeout=10)
        assert greet.json() == {"greeting": "Hello, Ada!"}
        assert hub_session.get(urljoin(root, "add"), params={"a": 2, "b": 3}, timeout=10).json()["sum"] == 5
        echo = hub_session.post(urljoin(root, "echo"), json={"x": 1}, timeout=10)
        assert echo.json()["you_sent"] == {"x": 1}


def test_ratings_location_stays_under_the_prefix(hub_session, jupyter):
    import ratings_api

    app = ratings_api.create_app({"API_TOKEN": API_TOKEN})
    with course.serve_app(app, name="ratings_api", announce=False) as server:
        root = hub_url(jupyter, server)
        created = hub_session.post(urljoin(root, "ratings"), json={"movie": "Ratatouille", "stars": 4},
                                   headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10)
        assert created.status_code == 201, created.text
        location = urljoin(created.url, created.headers["Location"])
        assert location == f"{root}ratings/{created.json()['id']}"
        assert hub_session.get(location, timeout=10).json() == created.json()
        deleted = hub_session.delete(location, headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=10)
        assert deleted.status_code == 204
        # The RPC front door has a single URL, also under the prefix.
        call = {"jsonrpc": "2.0", "method": "ratings.list", "params": {}, "id": 1}
        assert hub_session.post(urljoin(root, "rpc"), json=call, timeout=10).json()["result"]["total"] == 3


def test_ratings_location_without_a_proxy_is_unchanged():
    import ratings_api

    client = ratings_api.create_app({"API_TOKEN": API_TOKEN}).test_client()
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    created = client.post("/ratings", json={"movie": "Up", "stars": 5}, headers=auth)
    assert created.headers["Location"] == "/ratings/4"
    behind = client.post("/ratings", json={"movie": "Coco", "stars": 5},
                         headers={**auth, "X-Forwarded-Prefix": "/user/ada/proxy/8000"})
    assert behind.headers["Location"] == "/user/ada/proxy/8000/ratings/5"
