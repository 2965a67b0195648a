"""Anonymous scoring is rate-limited per client: a token bucket per address, in each worker process.

FRAUD_RATE_LIMIT (fraud_app.config), ``60/minute`` by default, is how many transactions one client without
the token may score: the bucket holds that many, and refills at that rate. A single transaction costs one,
a batch one per transaction; a request the app refuses (bad input) still costs one, so that bad input is
not free either. An empty bucket answers **429** with ``Retry-After`` (seconds): JSON under ``/api/``, the
error page on the form. Clients with the token are not limited (fraud_app.disclosure.carries_token).

The client is ``request.remote_addr``: the peer's address, or on a platform the address its proxy names in
``X-Forwarded-For`` (fraud_app.security trusts one hop of it there, through Werkzeug's ProxyFix, as it does
for ``X-Forwarded-Proto``). Behind a proxy the app does not know, every client would share the proxy's
address and bucket: set FRAUD_RATE_LIMIT with that in mind.

Why a small bucket here rather than Flask-Limiter: Flask-Limiter (a well-kept library) would add three
packages to the hashed lock (limits and its own dependencies) for what is here about forty lines; its
in-memory storage is per process too, and an exact limit across workers and replicas needs a shared store
(Redis), which the course does not run. So the limit is **per worker process**: with gunicorn's 2 workers a
client may get up to twice the limit, depending on which worker answers. That is enough to turn a search of
thousands of requests into one of hours; the first defence is that an anonymous answer carries no
probability at all (fraud_app.disclosure).

The table of buckets is bounded (MAX_CLIENTS): a client idle long enough to have refilled its bucket is
forgotten first; past the bound, the least recently seen ones are.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import TooManyRequests

from fraud_app.config import RATE_PERIODS as PERIODS
from fraud_app.disclosure import carries_token
from fraud_app.errors import json_body

MAX_CLIENTS = 10_000


class RateLimited(Exception):
    """The client's bucket holds fewer than the transactions asked for; ``retry_after`` seconds until it does."""

    def __init__(self, retry_after: int, message: str):
        super().__init__(message)
        self.retry_after, self.message = retry_after, message


class Buckets:
    """One token bucket per client: ``capacity`` tokens, refilled at ``capacity / period`` per second."""

    def __init__(self, capacity: int, period: float, clock=time.monotonic, max_clients: int = MAX_CLIENTS):
        self.capacity, self.period, self.rate = capacity, period, capacity / period
        self.clock, self.max_clients = clock, max_clients
        self.lock = threading.Lock()  # gunicorn's threads share one table per process
        self.clients: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, when)

    def take(self, client: str, cost: int = 1, batch: int | None = None) -> None:
        """Take ``cost`` tokens from ``client``'s bucket, or raise RateLimited (and take nothing).

        ``batch``: how many transactions the request holds in all, when part of it was paid for already.
        """
        with self.lock:
            now = self.clock()
            tokens, when = self.clients.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - when) * self.rate)
            enough = tokens >= cost
            self.clients[client] = (tokens - cost if enough else tokens, now)  # the most recently seen: last
            while len(self.clients) > self.max_clients:  # bounded: forget the least recently seen
                self.clients.popitem(last=False)
        if enough:
            return
        per = next((f"per {name}" for name, seconds in PERIODS.items() if seconds == self.period),
                   f"per {self.period:g} seconds")
        if (batch or cost) > self.capacity:
            message = (f"without the token a client may score {self.capacity} transactions {per}, and this batch "
                       f"holds {batch or cost}: send fewer, or send the token")
        else:
            message = (f"too many requests: without the token a client may score {self.capacity} transactions "
                       f"{per}; try again later, or send the token")
        raise RateLimited(max(1, math.ceil((cost - tokens) / self.rate)), message)


def buckets() -> Buckets | None:
    """This app's buckets (one table per worker process), or None when FRAUD_RATE_LIMIT is off."""
    return current_app.extensions["fraud_rate_limit"]


def take(cost: int = 1, batch: int | None = None) -> None:
    """Charge ``cost`` transactions to this request's client, unless it carries the token (RateLimited if empty).

    ``batch``: the batch's size, when its first transaction was charged already (for the message).
    """
    table = buckets()
    if table is None or cost <= 0 or carries_token():
        return
    table.take(request.remote_addr or "unknown", cost, batch)


def too_many(error: RateLimited):
    """429 with Retry-After: the API's JSON error under /api/, the error page on the form."""
    headers = {"Retry-After": str(error.retry_after)}
    if request.path.startswith("/api/"):
        return json_body(429, "rate_limited", error.message, headers=headers)
    page = render_template("error.html", error=TooManyRequests(error.message))
    return page, 429, headers


def init_app(app: Flask) -> None:
    limit = app.config["RATE_LIMIT"]
    app.extensions["fraud_rate_limit"] = None if limit is None else Buckets(*limit)
    app.register_error_handler(RateLimited, too_many)
