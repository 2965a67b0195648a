"""Show HTTP requests and responses the way a person reads them.

The notebooks print what travels over the wire; these helpers keep those prints short and
the same on every run (notebook outputs are compared in CI): headers that change with the
clock or the machine are shown as placeholders, and the port a server happens to get is
never printed.
"""

from __future__ import annotations

import json
import re
import socket
from urllib.parse import urlsplit

import requests

#: Response headers whose values change from run to run or machine to machine.
VOLATILE_HEADERS = {
    "date": "<the time of the response>",
    "server": "<the server's name and version>",
}

#: Reason phrases shown by their current standard name (RFC 9110), whatever the server says: servers that take
#: them from Python's http.HTTPStatus (uvicorn) say "Unprocessable Entity" on Python 3.11 and 3.12 and
#: "Unprocessable Content" from 3.13, and a notebook's output must not depend on the interpreter.
STANDARD_REASONS = {413: "Content Too Large", 422: "Unprocessable Content"}


def body_text(content: bytes, content_type: str | None) -> str:
    """A body as text: JSON pretty-printed, anything else as it came."""
    if not content:
        return ""
    if content_type and "json" in content_type:
        try:
            return json.dumps(json.loads(content), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    return content.decode("utf-8", errors="replace")


def show(response: requests.Response, headers: tuple[str, ...] = ("Content-Type",)) -> None:
    """Print a response's status line, the chosen headers and its body.

    >>> show(requests.get(server.url + "/greet"))   # doctest: +SKIP
    200 OK
    Content-Type: application/json
    {"greeting": "Hello, world!"}
    """
    print(response.status_code, STANDARD_REASONS.get(response.status_code, response.reason))
    for name in headers:
        if name in response.headers:
            print(f"{name}: {response.headers[name]}")
    text = body_text(response.content, response.headers.get("Content-Type"))
    if text:
        print(text)


def show_request(request: requests.PreparedRequest) -> None:
    """Print a prepared request as the text an HTTP/1.1 client sends (without sending it).

    ``Host`` is shown because HTTP/1.1 requires it; ``requests`` adds it, with a few defaults of
    its own (``User-Agent``, ``Accept``), only when it sends the request.
    """
    print(f"{request.method} {request.path_url} HTTP/1.1")
    print(f"Host: {urlsplit(request.url).netloc}")
    for name, value in request.headers.items():
        print(f"{name}: {value}")
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    if body:
        print()
        print(body)


def mask_volatile(response_text: str) -> str:
    """Replace the values of the headers in VOLATILE_HEADERS by a placeholder."""
    def mask(match: re.Match) -> str:
        return f"{match.group(1)}: {VOLATILE_HEADERS[match.group(1).lower()]}"

    names = "|".join(VOLATILE_HEADERS)
    return re.sub(rf"^({names}): .*$", mask, response_text, flags=re.I | re.M)


def raw_exchange(url: str, request_text: str, timeout: float = 5) -> str:
    """Send ``request_text`` as raw bytes to the server at ``url`` and return its raw answer.

    This is all an HTTP client does: open a TCP connection, write text, read text.
    Line ends are sent as CRLF, as HTTP requires; the answer comes back with Date and
    Server masked (see :func:`mask_volatile`) and CRLF turned into plain newlines.
    """
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    payload = request_text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    chunks = []
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(payload)
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return mask_volatile(b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n"))
