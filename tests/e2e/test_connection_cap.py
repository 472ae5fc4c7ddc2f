"""Connections per host within `concurrency` through Spark (issue 10 point 4),
counted by the mock API itself (/stats): strictly at most `concurrency` open
at once against a keep-alive server at 0-5 ms, over several runs; a server
that closes its connections every few requests costs no capacity and no
failed row; HTTPS with HTTP/2 opens no more than `concurrency` connections
in all. Counts and bounds, never timings."""

from __future__ import annotations

from typing import Any

from pyspark.sql import SparkSession

from mockapi import MockApi
from spark_rest import rest_api_call


def enrich(spark: SparkSession, api: MockApi, n: int, **options: object) -> dict[str, Any]:
    """Enriches customers 0..n against ``api`` (no cache, so every row is a
    request), checks that every row came back 200, and returns the API's /stats."""
    customers = spark.range(0, n, 1, 2).withColumnRenamed("id", "customer_id")
    rows = rest_api_call(
        customers, url=f"{api.url}/customers/{{customer_id}}", cache=False, **options
    ).collect()
    assert len(rows) == n and all(r._status == 200 for r in rows)
    return api.stats()


def test_connections_never_exceed_concurrency_at_0_to_5_ms(spark: SparkSession) -> None:
    # Short, uneven latencies make the race likeliest: a request admitted
    # just before the previous one's connection is back in hyper's pool.
    # Before the connection gate, 9 open connections were seen for 8 slots.
    for run in range(3):
        with MockApi(jitter_ms=5) as api:
            stats = enrich(spark, api, 3_000, concurrency=8)
        assert stats["total"] == 3_000, (run, stats)
        assert 1 <= stats["max_open_connections"] <= 8, (run, stats)


def test_a_server_closing_every_5_requests_costs_no_capacity(spark: SparkSession) -> None:
    with MockApi(close_after=5, jitter_ms=2) as api:
        stats = enrich(spark, api, 1_000, concurrency=8)
    # No row failed and none was retried: fresh connections were opened
    # without waiting, and requests still overlapped.
    assert stats["total"] == 1_000, stats
    assert stats["connections"] >= 1_000 // 5, stats
    assert stats["max_in_flight"] >= 4, stats
    # The server counts a connection until its own task has torn it down,
    # so the replacement of one it just closed may be counted beside it.
    assert stats["max_open_connections"] <= 8 + 1, stats


def test_https_with_http2_opens_at_most_concurrency_connections(spark: SparkSession) -> None:
    with MockApi(tls=True) as api:
        api.reset()
        stats = enrich(spark, api, 500, concurrency=8, tls_ca_cert=api.ca_pem_path)
    assert stats["http2_requests"] >= 500, stats
    # Every TLS connection accepted since the reset: the engine's (one
    # multiplexed connection, plus those racing it to the first ALPN answer,
    # one per request in flight) and the one of this /stats call.
    assert 1 <= stats["connections"] <= 8 + 1, stats


def test_auto_concurrency_opens_connections_as_it_grows_up_to_its_max(
    spark: SparkSession,
) -> None:
    # The adaptive limit starts at 4 and may grow to 12: connections follow
    # the limit up (requests beyond the open connections connect at once)
    # and never pass concurrencyMax.
    with MockApi(latency_ms=5) as api:
        stats = enrich(spark, api, 3_000, concurrency="auto", concurrency_max=12)
    assert stats["max_in_flight"] > 4, stats
    assert 4 < stats["max_open_connections"] <= 12, stats
