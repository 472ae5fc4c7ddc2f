"""Plain http:// requests through Spark go over the engine's own HTTP/1.1 pool
(`send/direct_http.rs`): what reaches the API, a User-Agent of the `headers` option,
redirects handed over to reqwest (all on /echo of the mock API), and an API that closes
quiet keep-alive connections without warning."""

from __future__ import annotations

import time

from pyspark.sql import DataFrame, SparkSession

from mockapi import MockApi
from spark_rest import rest_api_call

ECHO_SCHEMA = "method STRING, path STRING, query STRING, body STRING, headers MAP<STRING, STRING>"


def ids(spark: SparkSession, n: int) -> DataFrame:
    return spark.range(0, n, 1, 2).withColumnRenamed("id", "cid")


def echoes(spark: SparkSession, url: str, n: int = 4, **options: object) -> list:
    rows = rest_api_call(ids(spark, n), url=url, schema=ECHO_SCHEMA, **options).collect()
    assert len(rows) == n
    assert all(r._status == 200 and r._error is None for r in rows), rows
    return sorted(rows, key=lambda r: r.cid)


def test_a_plain_request_carries_host_agent_and_headers(
    spark: SparkSession, mock_api: MockApi
) -> None:
    authority = mock_api.url.removeprefix("http://")
    for row in echoes(spark, f"{mock_api.url}/echo/d/{{cid}}", headers={"X-Tenant": "acme"}):
        assert row.path == f"/echo/d/{row.cid}"
        assert row.headers["host"] == authority
        assert row.headers["user-agent"].startswith("spark-rest/")
        assert row.headers["x-tenant"] == "acme"
        assert row.headers["accept"] == "*/*"


def test_a_user_agent_in_headers_replaces_ours(spark: SparkSession, mock_api: MockApi) -> None:
    agent = "acme-geocoder/1.0 (ops@acme.test)"
    for row in echoes(spark, f"{mock_api.url}/echo/ua/{{cid}}", headers={"User-Agent": agent}):
        assert row.headers["user-agent"] == agent


def test_a_host_in_headers_wins_and_the_body_keeps_its_own_length(
    spark: SparkSession, mock_api: MockApi
) -> None:
    # An API reached by its address but served by name needs the user's Host, sent once;
    # a stray Content-Length in headers must not frame the body (the server would wait).
    rows = echoes(
        spark,
        f"{mock_api.url}/echo/vhost",
        method="POST",
        body='{"id": {cid}}',
        headers={"Host": "api.internal", "Content-Length": "999"},
    )
    for row in rows:
        assert row.headers["host"] == "api.internal"
        assert row.body == f'{{"id": {row.cid}}}'
        assert row.headers["content-length"] == str(len(row.body))


def test_redirects_are_followed(spark: SparkSession, mock_api: MockApi) -> None:
    mock_api.reset()
    rows = echoes(spark, f"{mock_api.url}/redirect/302/echo/moved/{{cid}}")
    assert [r.path for r in rows] == [f"/echo/moved/{i}" for i in range(4)]
    # On the same host the engine follows them itself: each redirect was asked for once.
    assert mock_api.stats()["by_path"]["/redirect"] == 4
    # 307 keeps the method and the body.
    rows = echoes(
        spark,
        f"{mock_api.url}/redirect/307/echo/kept",
        method="POST",
        body='{"id": {cid}}',
    )
    assert [(r.method, r.path, r.body) for r in rows] == [
        ("POST", "/echo/kept", f'{{"id": {i}}}') for i in range(4)
    ]


def test_an_api_closing_quiet_connections_loses_no_row(spark: SparkSession) -> None:
    # Like a Node.js API (keep-alive timeout 5 s): between two queries the server closes
    # every pooled connection, without a `Connection: close`. No retries are allowed, so a
    # row comes back only if the pool never sends on a closed connection.
    with MockApi(idle_close_ms=100) as api:
        for wave in range(3):
            rows = rest_api_call(
                ids(spark, 8),
                url=f"{api.url}/customers/{{cid}}",
                concurrency=4,
                max_retries=0,
                cache=False,
            ).collect()
            assert [r._status for r in rows] == [200] * 8, (wave, [r._error for r in rows])
            time.sleep(0.3)
        stats = api.stats()
        assert stats["total"] == 24, stats
        # Every query after the first found its connections closed and opened new ones.
        assert stats["connections"] >= 3, stats


def test_chunked_answers_parse_like_length_framed_ones_and_keep_their_connections(
    spark: SparkSession,
) -> None:
    # A streaming server (Node's res.write, an unbuffered proxy) frames its answers in
    # chunks that reach the engine across many reads. Each row must parse to the same
    # values as the length-framed /customers answer, and each connection must be read to
    # its last chunk so that the next request can reuse it.
    schema = "customer_id BIGINT, name STRING, score INT, address STRUCT<city: STRING, zip: STRING>"
    with MockApi() as api:
        results = {}
        for path in ("chunked", "customers"):
            api.reset()
            rows = rest_api_call(
                ids(spark, 200),
                url=f"{api.url}/{path}/{{cid}}",
                schema=schema,
                concurrency=4,
                max_retries=0,
                cache=False,
            ).collect()
            assert [r._status for r in rows] == [200] * 200, [r._error for r in rows]
            results[path] = sorted(
                (r.cid, r.customer_id, r.name, r.score, r.address.city) for r in rows
            )
            stats = api.stats()
            assert stats["by_path"][f"/{path}"] == 200, stats
            # Kept alive: one connection per slot at most (and the one of /stats).
            assert stats["connections"] <= 4 + 1, (path, stats)
    assert results["chunked"] == results["customers"]
    assert results["chunked"][7] == (7, 7, "customer-7", 7, "city-7")
