"""TLS through Spark: the mock API over HTTPS (self-signed certificate, HTTP/2
by ALPN). Without trust every row fails on the certificate and is kept;
`tlsCaCert` or `tlsInsecure` make every row succeed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyspark.sql import DataFrame, SparkSession

from mockapi import MockApi
from spark_rest import rest_api_call


@pytest.fixture(scope="module")
def tls_api() -> Iterator[MockApi]:
    with MockApi(tls=True) as api:
        assert api.url.startswith("https://") and api.ca_pem_path
        yield api


def ids(spark: SparkSession, n: int) -> DataFrame:
    return spark.range(1, n + 1).withColumnRenamed("id", "customer_id").coalesce(1)


def test_untrusted_certificate_fails_rows_not_the_query(
    spark: SparkSession, tls_api: MockApi
) -> None:
    rows = rest_api_call(
        ids(spark, 5), url=f"{tls_api.url}/customers/{{customer_id}}", max_retries=0
    ).collect()
    assert len(rows) == 5
    assert all(r["_status"] is None and "certificate" in r["_error"] for r in rows), rows[0]


def test_tls_ca_cert_and_tls_insecure_are_trusted_over_http2(
    spark: SparkSession, tls_api: MockApi
) -> None:
    tls_api.reset()
    url = f"{tls_api.url}/customers/{{customer_id}}"
    trusted = rest_api_call(ids(spark, 50), url=url, tls_ca_cert=tls_api.ca_pem_path)
    insecure = rest_api_call(ids(spark, 50), url=url, tls_insecure=True, cache=False)
    for df in (trusted, insecure):
        statuses = {r["_status"] for r in df.collect()}
        assert statuses == {200}
    stats = tls_api.stats()
    assert stats["total"] == 100
    assert stats["http2_requests"] == 100, stats
