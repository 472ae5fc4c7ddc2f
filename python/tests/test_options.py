"""Option name and value conversion."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql.types import (
    ArrayType,
    DecimalType,
    DoubleType,
    IntegerType,
    MapType,
    StringType,
    StructField,
    StructType,
)

from spark_rest import build_options, option_name
from spark_rest._options import option_value


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("rate_limit", "rateLimit"),
        ("max_retries", "maxRetries"),
        ("cache_ttl_seconds", "cacheTtlSeconds"),
        ("oauth2_token_url", "oauth2TokenUrl"),
        ("oauth2_client_secret", "oauth2ClientSecret"),
        ("api_key_header", "apiKeyHeader"),
        ("tls_ca_cert", "tlsCaCert"),
        ("on_error", "onError"),
        ("batch_request_size", "batchRequestSize"),
        # already canonical or not snake_case: unchanged
        ("rateLimit", "rateLimit"),
        ("concurrency", "concurrency"),
        ("schema", "schema"),
        ("url", "url"),
        ("header.X-Foo", "header.X-Foo"),
        ("header.x_custom_thing", "header.x_custom_thing"),
        ("_private", "_private"),
        ("trailing_", "trailing_"),
        ("double__under", "double__under"),
        ("Max_Retries", "Max_Retries"),
    ],
)
def test_option_name(given: str, expected: str) -> None:
    assert option_name(given) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (64, "64"),
        (2.5, "2.5"),
        ("GET", "GET"),
        ("", ""),
        (
            {"X-Tenant": "acme", "Accept": "application/json"},
            '{"X-Tenant":"acme","Accept":"application/json"}',
        ),
        ([1, 2, 3], "1,2,3"),
        ([429, 503], "429,503"),
        (("a", "b"), "a,b"),
        ({503, 429}, "429,503"),
        ([True, "x"], "true,x"),
        ([{"id": 1}, {"id": 2}], '[{"id":1},{"id":2}]'),
        ([[1, 2]], "[[1,2]]"),
        ({"name": "café"}, '{"name":"café"}'),
        (Path("/tmp/cache"), "/tmp/cache"),
    ],
)
def test_option_value(value: object, expected: str) -> None:
    assert option_value("x", value) == expected


def test_bool_is_not_treated_as_int() -> None:
    assert build_options(cache=True, explode=False) == {"cache": "true", "explode": "false"}


def test_struct_type_schema_becomes_ddl() -> None:
    schema = StructType(
        [
            StructField("score", IntegerType()),
            StructField("tier", StringType()),
            StructField("ltv", DoubleType(), nullable=False),
            StructField("amount", DecimalType(10, 2)),
            StructField("tags", ArrayType(StringType())),
            StructField("odd`name", StringType()),
        ]
    )
    assert build_options(schema=schema) == {
        "schema": "`score` int, `tier` string, `ltv` double, `amount` decimal(10,2), "
        "`tags` array<string>, `odd``name` string"
    }


def test_nested_struct_type_quotes_every_field_name() -> None:
    schema = StructType(
        [
            StructField("headers", StructType([StructField("x-tenant", StringType())])),
            StructField("items", ArrayType(StructType([StructField("id", IntegerType())]))),
            StructField("attrs", MapType(StringType(), DoubleType())),
        ]
    )
    assert build_options(schema=schema)["schema"] == (
        "`headers` struct<`x-tenant`: string>, `items` array<struct<`id`: int>>, "
        "`attrs` map<string, double>"
    )


def test_build_options_converts_names_and_values() -> None:
    opts = build_options(
        {"header.X-Tenant": "acme"},
        rate_limit=100,
        max_retries=0,
        cache_ttl_seconds=60,
        auth="bearer",
        token="env:API_TOKEN",
        headers={"Accept": "application/json"},
        cache=False,
    )
    assert opts == {
        "header.X-Tenant": "acme",
        "rateLimit": "100",
        "maxRetries": "0",
        "cacheTtlSeconds": "60",
        "auth": "bearer",
        "token": "env:API_TOKEN",
        "headers": '{"Accept":"application/json"}',
        "cache": "false",
    }
    assert all(isinstance(v, str) for v in opts.values())


def test_none_values_are_left_out() -> None:
    assert build_options(schema=None, concurrency=8) == {"concurrency": "8"}


def test_same_option_twice_is_rejected() -> None:
    with pytest.raises(ValueError, match="maxRetries"):
        build_options(max_retries=1, maxRetries=2)
    with pytest.raises(ValueError, match="rateLimit"):
        build_options({"rateLimit": 1}, rate_limit=2)


def test_unknown_names_pass_through_for_the_jvm_to_reject() -> None:
    # Validation (with the allowed names in the message) is the JVM's job, so that
    # every surface reports errors the same way.
    assert build_options(concurrensy=4) == {"concurrensy": "4"}
    assert build_options(no_such_option=1) == {"noSuchOption": "1"}


def test_empty_name_is_rejected() -> None:
    with pytest.raises(TypeError):
        build_options({"": 1})


def test_bytes_are_rejected() -> None:
    with pytest.raises(TypeError, match="body"):
        build_options(body=b"{}")


# Every option of SPEC.md section 4 (native/engine/src/options/option_names.rs).
SPEC_OPTIONS = [
    "url",
    "method",
    "headers",
    "body",
    "input",
    "inputData",
    "concurrency",
    "rateLimit",
    "rateLimitBurst",
    "arrowBatchSize",
    "batchKey",
    "batchUrl",
    "batchRequestSize",
    "batchBody",
    "batchResultsField",
    "batchResultKey",
    "maxRetries",
    "retryBackoff",
    "retryMaxBackoff",
    "retryOnStatus",
    "connectTimeout",
    "requestTimeout",
    "circuitBreakerThreshold",
    "circuitBreakerCooldown",
    "onError",
    "maxResponseBytes",
    "cache",
    "cacheTtlSeconds",
    "cacheMaxEntries",
    "cacheDir",
    "auth",
    "token",
    "userId",
    "userPassword",
    "apiKey",
    "apiKeyHeader",
    "oauth2TokenUrl",
    "oauth2ClientId",
    "oauth2ClientSecret",
    "oauth2Scope",
    "schema",
    "dataField",
    "inferSchema",
    "schemaSampleSize",
    "explode",
    "arrayColumn",
    "paginationType",
    "pageParam",
    "pageSizeParam",
    "pageSize",
    "startPage",
    "cursorParam",
    "cursorField",
    "nextUrlField",
    "hasMoreField",
    "maxPages",
    "streamingInterval",
    "offsetType",
    "offsetField",
    "initialOffset",
    "batchSize",
    "allowedHosts",
    "tlsCaCert",
    "tlsInsecure",
]


@pytest.mark.parametrize("name", SPEC_OPTIONS)
def test_every_option_has_a_snake_case_spelling(name: str) -> None:
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name)
    assert option_name(snake) == name


def test_response_shape_options() -> None:
    options = build_options(
        infer_schema=True, schema_sample_size=5, array_column="items", explode=False
    )
    assert options == {
        "inferSchema": "true",
        "schemaSampleSize": "5",
        "arrayColumn": "items",
        "explode": "false",
    }
