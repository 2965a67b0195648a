"""A small load test: many requests to a server on this machine, a few at a time.

Bounded on purpose: a fixed number of requests, a time limit, and only loopback addresses
(127.0.0.1, localhost, ::1). It measures how long each request took and counts the errors;
``plot`` draws the latencies. Used by chapter 05's notebook, ``make bench`` and the test suite.

What counts as an error, as in the defaults of k6 and Locust: a request that got no HTTP answer at
all (the connection was refused or reset, or no answer came within the request's timeout), or an
answer with a status of 400 or more. A load test sends requests that deserve to succeed, so a 4xx
(a 401, a 429 Too Many Requests) is as much a failure as a 5xx; ``statuses`` keeps the count of
each status, so the report can say which.

Percentiles need many requests: p99 is the latency that 1 request in 100 exceeds, so out of 100
requests it is decided by the slowest one or two. Report p90 for a small run, or send thousands.
Tools teams use for real load tests: Locust (Python), k6, wrk, or vegeta.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class LoadResult:
    """What a load test saw: one latency per answered request, and what went wrong."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: int = 0  # no HTTP answer at all: refused, reset, or no answer within the timeout
    seconds: float = 0.0
    stopped_early: bool = False

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.failures

    @property
    def errors(self) -> int:
        """Requests with no HTTP answer, or with a status of 400 or more: what a load test must keep at zero."""
        return self.failures + sum(n for status, n in self.statuses.items() if is_error(status))

    def percentile(self, q: float) -> float:
        """The latency that ``q`` % of the answered requests did not exceed (nearest rank), in ms."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def is_error(status: int) -> bool:
    """An HTTP status that a load test counts as an error: 4xx and 5xx."""
    return status >= 400


def require_loopback(url: str) -> None:
    if urlsplit(url).hostname not in LOOPBACK:
        raise ValueError(f"a load test may only target this machine (127.0.0.1), not {urlsplit(url).hostname}")


def run(url: str, send: Callable[[requests.Session, str], requests.Response], total: int = 200,
        concurrency: int = 4, time_limit: float = 30.0) -> LoadResult:
    """Call ``send(session, url)`` ``total`` times, ``concurrency`` at a time, for at most ``time_limit`` s."""
    require_loopback(url)
    if not 1 <= total <= 10_000 or not 1 <= concurrency <= 64:
        raise ValueError("keep a load test small: 1 to 10,000 requests, 1 to 64 at a time")
    result = LoadResult()
    deadline = time.monotonic() + time_limit

    def one(_: int) -> tuple[float, int | None]:
        if time.monotonic() > deadline:
            return 0.0, -1
        started = time.perf_counter()
        try:
            status = send(sessions.get(), url).status_code
        except requests.RequestException:
            status = None
        return (time.perf_counter() - started) * 1000, status

    sessions = _SessionPerThread()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for latency, status in pool.map(one, range(total)):
            if status == -1:
                result.stopped_early = True
            elif status is None:
                result.failures += 1
            else:
                result.latencies_ms.append(latency)
                result.statuses[status] += 1
    result.seconds = time.perf_counter() - started
    sessions.close()
    return result


class _SessionPerThread:
    """One keep-alive HTTP session per worker thread (a Session is not thread-safe)."""

    def __init__(self):
        self._local = threading.local()
        self._all: list[requests.Session] = []

    def get(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._all.append(self._local.session)
        return self._local.session

    def close(self) -> None:
        for session in self._all:
            session.close()


def plot(result: LoadResult, title: str = "Latency of each request", percentiles: tuple[float, ...] = (50, 99)):
    """A histogram of the latencies with ``percentiles`` marked; returns the matplotlib figure.

    Mark p99 only for a run of thousands of requests; for a few hundred, p90 says more.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 3.2))
    axis.hist(result.latencies_ms, bins=40, color="#2457a6")
    for q, style in zip(percentiles, ("-", "--", ":"), strict=False):
        value = result.percentile(q)
        axis.axvline(value, color="#b3261e", linestyle=style, label=f"p{q:g} = {value:.1f} ms")
    axis.set(title=f"{title} ({result.requests} requests, {result.errors} errors)", xlabel="milliseconds",
             ylabel="requests")
    axis.legend()
    figure.tight_layout()
    return figure
