"""The smoke of one Spark line: every surface once, on that line's own pyspark and jar.

Classic: typed ``rest_api_call``; ``format("rest")`` pages and input; streaming with
``Trigger.AvailableNow``; the SQL table function; the engine's log lines under log4j's
control; a Scala program run by the line's ``spark-submit --jars <its jar>``. On 4.x also over
Spark Connect (a local server started by ``builder.remote("local[2]")``): ``format("rest")``
with option names in any case, ``readStream``, the SQL table function, ``rest_api_call`` on a
Connect DataFrame, and an option error that names the option as the README spells it.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Sessions
from native_logging import check_native_log_lines_follow_log4j

from helpers import examples_jar, jar_under_test, native_library
from mockapi import MockApi
from rest_stream import available_now, read_stream
from spark_rest import rest_api_call

TIERS = ["bronze", "silver", "gold"]
SUBMIT_TIMEOUT = 300


def customers(spark: Any, n: int) -> Any:
    return spark.range(1, n + 1).withColumnRenamed("id", "customer_id")


def expected(n: int) -> list[tuple[int, int, str, int]]:
    return [(i, i % 1000, TIERS[i % 3], 200) for i in range(1, n + 1)]


def scored(df: Any) -> list[tuple[int, int, str, int]]:
    rows = df.select("customer_id", "score", "tier", "_status").collect()
    return sorted((r.customer_id, r.score, r.tier, r._status) for r in rows)


def require_connect(sessions: Sessions) -> Any:
    if sessions.connect is None:
        # Not a gap of ours: pyspark 3.5's wheel ships no Connect server
        # (spark-connect is a separate artifact on that line), and the README's
        # compatibility table lists Connect for 4.x only.
        pytest.skip(
            f"Spark {sessions.line}: pyspark {sessions.line} ships no Spark Connect server "
            "to start locally; Connect is supported and tested on 4.x"
        )
    return sessions.connect


# --- classic ---------------------------------------------------------------------------


def test_typed_rest_api_call(sessions: Sessions, mock_api: MockApi) -> None:
    out = rest_api_call(
        customers(sessions.classic, 40),
        url=f"{mock_api.url}/customers/{{customer_id}}",
        schema="score INT, tier STRING",
        concurrency=8,
    )
    assert out.columns == ["customer_id", "score", "tier", "_status", "_error"]
    assert scored(out) == expected(40)


def test_rest_source_pages_and_input(sessions: Sessions, mock_api: MockApi) -> None:
    spark = sessions.classic
    pages = (
        spark.read.format("rest")
        .option("url", f"{mock_api.url}/items")
        .option("paginationType", "page")
        .option("pageSize", "25")
        .option("dataField", "results")
        .option("schema", "id BIGINT, name STRING")
        .load()
    )
    assert sorted(r.id for r in pages.collect()) == list(range(1, 251))
    customers(spark, 30).createOrReplaceTempView("smoke_customers")
    enriched = (
        spark.read.format("rest")
        .option("url", f"{mock_api.url}/customers/{{customer_id}}")
        .option("input", "smoke_customers")
        .option("schema", "score INT, tier STRING")
        .load()
    )
    assert scored(enriched) == expected(30)


def wait_for_events(api: MockApi, n: int) -> None:
    deadline = time.monotonic() + 60
    while len(api.events_all()) < n:
        assert time.monotonic() < deadline, "the mock's event feed did not produce its events"
        time.sleep(0.1)


def test_streaming_available_now(sessions: Sessions, mock_api: MockApi, tmp_path: Path) -> None:
    wait_for_events(mock_api, 120)
    spark = sessions.classic
    df = read_stream(
        spark,
        {
            "url": f"{mock_api.url}/events/seq?after={{offset}}",
            "offsetType": "max_field",
            "offsetField": "seq",
            "dataField": "events",
            "schema": "id BIGINT, seq BIGINT, value STRING",
            "batchSize": "50",
        },
    )
    available_now(df, "memory", tmp_path / "checkpoint", query_name="smoke_stream")
    seqs = [r.seq for r in spark.sql("SELECT seq FROM smoke_stream").collect()]
    assert sorted(seqs) == list(range(1, 121))


def test_sql_table_function(sessions: Sessions, mock_api: MockApi) -> None:
    spark = sessions.classic
    customers(spark, 20).createOrReplaceTempView("smoke_sql_customers")
    df = spark.sql(
        "SELECT customer_id, score, tier, _status FROM rest_api_call("
        f"TABLE(smoke_sql_customers), '{mock_api.url}/customers/{{customer_id}}', "
        "map('schema', 'score INT, tier STRING'))"
    )
    assert scored(df) == expected(20)


def test_native_log_lines_follow_log4j(mock_api: MockApi) -> None:
    check_native_log_lines_follow_log4j(mock_api.url)


@pytest.mark.parametrize("library", ["embedded", "external"])
def test_spark_submit_scala_program(mock_api: MockApi, tmp_path: Path, library: str) -> None:
    """The line's jar with the library taken from it, then with the library given by
    spark.rest.nativeLibrary; the JVM's own -Xlog:library output shows which was loaded."""
    import pyspark

    external = native_library()
    extra = ["--conf", f"spark.rest.nativeLibrary={external}"] if library == "external" else []
    java_options = "-Xlog:library=info"
    if library == "external":  # as test_enrich_scala.py: the driver reads it as a property too
        java_options += f" -Dspark.rest.nativeLibrary={external}"
    home = Path(pyspark.__file__).resolve().parent
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_SUBMIT_ARGS", "SPARK_TESTING")}
    env["SPARK_HOME"] = str(home)
    command = [
        str(home / "bin" / "spark-submit"),
        "--master",
        "local[2]",
        "--conf",
        "spark.ui.enabled=false",
        "--driver-java-options",
        java_options,
        *extra,
        "--jars",
        str(jar_under_test()),
        "--class",
        "io.sparkrest.examples.EnrichCustomers",
        str(examples_jar()),
        mock_api.url,
        "200",
        str(tmp_path / "out"),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=SUBMIT_TIMEOUT, env=env
    )
    assert result.returncode == 0, (
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-6000:]}"
    )
    assert re.search(r"^ROWS 200$", result.stdout, re.MULTILINE), result.stdout[-3000:]
    loaded = re.findall(r"Loaded library (\S*libspark_rest_native\S*?),? handle", result.stdout)
    assert len(set(loaded)) == 1, loaded
    assert (loaded[0] == str(external)) == (library == "external"), loaded


# --- Spark Connect (4.x) ----------------------------------------------------------------


def test_connect_rest_source_any_case(sessions: Sessions, mock_api: MockApi) -> None:
    connect = require_connect(sessions)
    df = (
        connect.read.format("rest")
        .option("URL", f"{mock_api.url}/items")
        .option("paginationtype", "page")
        .option("PageSize", "50")
        .option("DATAFIELD", "results")
        .option("schema", "id BIGINT, name STRING")
        .load()
    )
    assert sorted(r.id for r in df.collect()) == list(range(1, 251))


def test_connect_option_errors_use_the_readme_spelling(
    sessions: Sessions, mock_api: MockApi
) -> None:
    connect = require_connect(sessions)
    reader = (
        connect.read.format("rest")
        .option("url", f"{mock_api.url}/items")
        .option("maxretries", "many")
    )
    with pytest.raises(Exception, match=r"'maxRetries'") as error:
        reader.load().collect()
    assert "'maxretries'" not in str(error.value)


def test_connect_rest_api_call(sessions: Sessions, mock_api: MockApi) -> None:
    connect = require_connect(sessions)
    out = rest_api_call(
        customers(connect, 25),
        url=f"{mock_api.url}/customers/{{customer_id}}",
        schema="score INT, tier STRING",
        max_retries=1,
    )
    assert type(out).__module__.startswith("pyspark.sql.connect.")
    assert scored(out) == expected(25)
    with pytest.raises(Exception, match=r"unknown option 'concurency'"):
        rest_api_call(customers(connect, 2), url=f"{mock_api.url}/x", concurency=2)


def test_connect_sql_table_function(sessions: Sessions, mock_api: MockApi) -> None:
    connect = require_connect(sessions)
    customers(connect, 15).createOrReplaceTempView("smoke_connect_customers")
    df = connect.sql(
        "SELECT customer_id, score, tier, _status FROM rest_api_call("
        f"TABLE(smoke_connect_customers), '{mock_api.url}/customers/{{customer_id}}', "
        "map('SCHEMA', 'score INT, tier STRING'))"
    )
    assert scored(df) == expected(15)


def test_connect_read_stream(sessions: Sessions, mock_api: MockApi, tmp_path: Path) -> None:
    connect = require_connect(sessions)
    wait_for_events(mock_api, 120)
    df = read_stream(
        connect,
        {
            "url": f"{mock_api.url}/events/seq?after={{offset}}",
            "offsettype": "max_field",
            "offsetfield": "seq",
            "datafield": "events",
            "schema": "id BIGINT, seq BIGINT, value STRING",
        },
    )
    available_now(df, "memory", tmp_path / "checkpoint", query_name="smoke_connect_stream")
    seqs = [r.seq for r in connect.sql("SELECT seq FROM smoke_connect_stream").collect()]
    assert sorted(seqs) == list(range(1, 121))
