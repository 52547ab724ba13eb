import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fstore_client import (
    ApiUnavailable,
    FeatureServerClient,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
)


@pytest.fixture()
def client(stack) -> FeatureServerClient:
    c = FeatureServerClient(stack["serving_url"])
    c.login(stack["email"], stack["password"])
    return c


def test_get_online_features_returns_each_id_in_order_with_missing_values_none(client, stack):
    product = stack["product"]
    results = client.get_online_features("product", [product, f"{product}-none"], ["avg_review"])
    assert results == [
        {
            "entity": "product",
            "id": product,
            "features": {
                "avg_review": {
                    "value": 1,
                    "event_time": "2026-01-01T00:00:00.000Z",
                    "stale": True,
                }
            },
        },
        {"entity": "product", "id": f"{product}-none", "features": {"avg_review": None}},
    ]


def test_every_feature_of_the_entity_by_default(client, stack):
    (result,) = client.get_online_features("product", [stack["product"]])
    assert set(stack["features"]) <= set(result["features"])
    values = [result["features"][name]["value"] for name in stack["features"]]
    assert values == [i + 1 for i in range(len(stack["features"]))]


def test_errors_are_typed_and_carry_error_code(client, stack):
    with pytest.raises(InvalidRequest) as bad:
        client.get_online_features("product", [stack["product"]], ["no_such_feature"])
    assert (bad.value.status, bad.value.error_code) == (400, 1000)
    assert bad.value.error_detail[0].loc == ("body", "features")
    with pytest.raises(NotFound) as missing:
        client.get_features("product", f"{stack['product']}-none")
    assert missing.value.error_code == 2000
    with pytest.raises(NotAuthenticated) as wrong:
        FeatureServerClient(stack["serving_url"]).login(stack["email"], "wrong-password")
    assert (wrong.value.status, wrong.value.error_code) == (401, 1200)


def test_a_refused_token_is_renewed_once_with_the_refresh_token(client, stack):
    stale = FeatureServerClient(
        stack["serving_url"], access_token="not-a-token", refresh_token=client.refresh_token
    )
    assert stale.get_features("product", stack["product"])["id"] == stack["product"]
    stale.logout()
    with pytest.raises(NotAuthenticated):
        stale.get_features("product", stack["product"])


class _Slow(BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self):  # noqa: N802 (http.server's name)
        type(self).calls += 1
        time.sleep(1.0)

    def log_message(self, *args):
        pass


def test_a_read_that_times_out_is_retried_then_raises_api_unavailable():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        client = FeatureServerClient(url, access_token="t", timeout=0.2, retries=1)
        with pytest.raises(ApiUnavailable, match=r"gave up after 2 attempts"):
            client.get_online_features("product", ["p1"])
        assert _Slow.calls == 2
        # A login is not a read: never sent twice.
        with pytest.raises(ApiUnavailable, match="not retried"):
            client.login("a@b.c", "x")
        assert _Slow.calls == 3
    finally:
        server.shutdown()
