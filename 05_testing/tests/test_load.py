"""The load test helper (05_testing/loadtest.py): bounded, loopback only, and the app holds up under it."""

import pytest

import loadtest


def score(transaction, headers=None):
    """A request of the load test: scoring, with the token (a client without it is rate-limited, by design)."""
    def send(session, url):
        return session.post(url + "/api/v1/predict", json=transaction, headers=headers or {}, timeout=10)

    return send


def test_a_small_load_test_sees_no_errors(served, transaction, auth):
    result = loadtest.run(served.url, score(transaction, auth.valid), total=200, concurrency=4, time_limit=60)
    assert result.requests == 200
    assert result.errors == 0
    assert result.statuses == {200: 200}
    assert 0 < result.percentile(50) <= result.percentile(99)
    assert not result.stopped_early


def test_the_time_limit_stops_a_load_test(served, transaction, auth):
    result = loadtest.run(served.url, score(transaction, auth.valid), total=10_000, concurrency=2, time_limit=0.3)
    assert result.stopped_early
    assert result.requests < 10_000


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.1:8000", "https://192.168.1.2/"])
def test_only_this_machine_can_be_targeted(url, transaction):
    with pytest.raises(ValueError, match="may only target this machine"):
        loadtest.run(url, score(transaction), total=1)


@pytest.mark.parametrize(("total", "concurrency"), [(0, 1), (10_001, 1), (10, 0), (10, 65)])
def test_load_tests_stay_small(served, transaction, total, concurrency):
    with pytest.raises(ValueError, match="keep a load test small"):
        loadtest.run(served.url, score(transaction), total=total, concurrency=concurrency)


def test_the_latency_chart_has_a_title_and_labelled_axes(served, transaction, auth):
    import matplotlib

    matplotlib.use("Agg")
    result = loadtest.run(served.url, score(transaction, auth.valid), total=20, concurrency=2)
    axis = loadtest.plot(result).axes[0]
    assert axis.get_title() == "Latency of each request (20 requests, 0 errors)"
    assert axis.get_xlabel() == "milliseconds"
    assert [text.get_text().split(" =")[0] for text in axis.get_legend().get_texts()] == ["p50", "p99"]
