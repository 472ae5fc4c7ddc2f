"""The streaming record log (SPEC section 5, DESIGN section 6) through real Spark, against
feeds of the mock API that grow while they are read (``/grow/{feed}/...``): for each offset
type, a kill -9 of the query's process and a restart from the same checkpoint deliver every
record the feed produced exactly once, with several records per offset value and
``batchSize`` cutting inside those runs, a cursor whose last page has records and a null
cursor, an API that rewrites its history behind the client, a ``file:///`` checkpoint, one
request per planned poll, AvailableNow twice, and seed 002's patterns verbatim."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession
from pyspark.sql.functions import col, from_json
from pyspark.sql.types import LongType, StringType, StructField, StructType
from test_stream_source import QueryProcess

from mockapi import MockApi
from rest_stream import available_now, feed_all, feed_url, read_stream, wait_feed_done

GROUPS, PER = 50, 3  # 150 records, 3 per offset value, a new value every 100 ms
RECORDS = GROUPS * PER
SCHEMA = "id BIGINT, ts BIGINT, value STRING"

GROWING: dict[str, dict[str, str]] = {
    "timestamp": {
        "path": "timestamp?since={latest_timestamp}",
        "offsetType": "timestamp",
        "offsetField": "latest_timestamp",
        "dataField": "events",
    },
    "cursor": {
        "path": "cursor?cursor={offset}&limit=7",
        "offsetType": "cursor",
        "offsetField": "next_cursor",
        "initialOffset": "start",
        "dataField": "results",
    },
    "incremental": {  # a bare JSON array: no dataField needed
        "path": "ids?from={offset}",
        "offsetType": "incremental",
        "offsetField": "ts",
        "initialOffset": "1",
    },
    "max_field": {  # {"data": [...]}: the array field is found without dataField
        "path": "max?from={offset}",
        "offsetType": "max_field",
        "offsetField": "ts",
    },
}


@pytest.fixture(scope="module")
def api() -> Iterator[MockApi]:
    with MockApi() as server:
        yield server


def sink_ids(spark: SparkSession, out: Path) -> list[int]:
    return sorted(r.id for r in spark.read.parquet(str(out)).select("id").collect())


def kill_and_restart(
    spark: SparkSession, work: Path, options: dict[str, str], checkpoint: str, feed_done: Any
) -> tuple[QueryProcess, QueryProcess]:
    """Runs the query, kills it with SIGKILL mid-feed, restarts it with AvailableNow from the
    same checkpoint once the feed is complete."""
    job = {"options": options, "out": str(work / "out"), "checkpoint": checkpoint}
    first = QueryProcess({**job, "trigger": "processing"}, work / "first.log")
    first.wait_until(lambda q: len(q.progress) >= 2, 180, "two committed batches")
    first.kill()
    feed_done()
    second = QueryProcess({**job, "trigger": "available_now"}, work / "second.log")
    second.finish(timeout=240)
    return first, second


@pytest.mark.parametrize("kind", list(GROWING))
def test_growing_feed_kill_restart_exactly_once(
    spark: SparkSession, api: MockApi, kind: str
) -> None:
    """(a) runs of 3 records per offset value cut by batchSize=10, (b) cursor pages with a
    null cursor that later grow, (f) the cursor case checkpoints to a file:/// URL."""
    spec = dict(GROWING[kind])
    feed = f"{kind}-{uuid.uuid4().hex[:8]}"
    options = {
        "url": feed_url(api, feed, spec.pop("path"), f"per={PER}&every=100&groups={GROUPS}"),
        "schema": SCHEMA,
        "batchSize": "10",
        "streamingInterval": "0.5",
        **spec,
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        checkpoint = (work / "checkpoint").as_uri() if kind == "cursor" else str(work / "ck")
        first, second = kill_and_restart(
            spark, work, options, checkpoint, lambda: wait_feed_done(api, feed)
        )
        assert 0 < sum(p["numInputRows"] for p in first.progress) < RECORDS
        assert max(p["numInputRows"] for p in first.progress + second.progress) <= 10
        assert sink_ids(spark, work / "out") == list(range(1, RECORDS + 1))
        if kind == "cursor":
            assert (work / "checkpoint" / "sources" / "0" / "restlog").is_dir()


def test_rewritten_history_is_replayed_from_the_log(spark: SparkSession, api: MockApi) -> None:
    """(c) The replay endpoint answers an offset the client has moved past with that history
    reversed and halved; the restarted query replays its uncommitted batch from the record
    log, so the sink still holds every record once."""
    feed = f"replay-{uuid.uuid4().hex[:8]}"
    shape = "per=1&every=100&groups=80"
    api.get_json(f"/grow/{feed}/replay?since=0&{shape}")  # start the clock: a backlog
    time.sleep(2)
    options = {
        "url": feed_url(api, feed, "replay?since={offset}", shape),
        "schema": SCHEMA,
        "offsetType": "timestamp",
        "offsetField": "ts",
        "dataField": "events",
        "batchSize": "5",
        "streamingInterval": "0.5",
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kill_and_restart(spark, work, options, str(work / "ck"), lambda: wait_feed_done(api, feed))
        assert sink_ids(spark, work / "out") == list(range(1, 81))
    # The API really does rewrite: asked again from the start it has lost records.
    again = api.get_json(f"/grow/{feed}/replay?since=0&{shape}")["events"]
    assert len(again) < 80


def end_offset(progress: Any) -> dict[str, Any]:
    end = json.loads(progress.json)["sources"][0]["endOffset"]
    return json.loads(end) if isinstance(end, str) else end


def test_available_now_twice_and_one_request_per_poll(spark: SparkSession, api: MockApi) -> None:
    """(d) the feed's request count grows by exactly the polls the query reports; (e) a
    second AvailableNow run reads only what arrived after the first, and both stop."""
    feed = f"avail-{uuid.uuid4().hex[:8]}"
    shape = "per=2&every=50&groups=1200"  # 40 records/s for 60 s
    api.get_json(f"/grow/{feed}/ids?from=1&{shape}")
    time.sleep(1.5)
    options = {
        "url": feed_url(api, feed, "ids?from={offset}", shape),
        "schema": SCHEMA,
        "offsetType": "incremental",
        "offsetField": "ts",
        "initialOffset": "1",
        "batchSize": "100",
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seen: list[int] = []
        for _run in range(2):
            before = feed_all(api, feed)["requests"]
            query = available_now(
                read_stream(spark, options), "parquet", work / "ck", path=work / "out"
            )
            requests = feed_all(api, feed)["requests"] - before
            batches = [p for p in query.recentProgress if p["numInputRows"] > 0]
            # Each batch's end offset counts the polls that planned it; after a full batch
            # AvailableNow asks once more, finds nothing and stops.
            planned = sum(end_offset(p)["polls"] for p in batches)
            assert batches, (_run, requests, [json.loads(p.json) for p in query.recentProgress])
            final = 1 if batches[-1]["numInputRows"] == 100 else 0
            assert requests == planned + final, (requests, planned, final)
            reported = int(query.lastProgress["sources"][0]["metrics"]["polls"])
            assert reported in (planned, planned + final)
            ids = sink_ids(spark, work / "out")
            assert ids == list(range(1, len(ids) + 1))  # contiguous, each once
            assert len(ids) > len(seen)
            assert all(p["numInputRows"] <= 100 for p in batches)
            seen = ids
            time.sleep(2)
        assert not feed_all(api, feed)["done"]  # the feed kept growing: they stopped anyway


def seed_stream(spark: SparkSession, base: str, pattern: int) -> Any:
    """Seed 002's Patterns 1-3, verbatim but for the host."""
    if pattern == 1:
        return (
            spark.readStream.format("rest")
            .option("url", f"{base}/events?since={{timestamp}}")
            .option("method", "GET")
            .option("streaming", "true")
            .option("inputData", '[{"dummy": "value"}]')
            .option("streamingInterval", "30")
            .option("offsetType", "timestamp")
            .option("offsetField", "timestamp")
            .option("initialOffset", "0")
            .option("dataField", "events")
            .load()
        )
    if pattern == 2:
        return (
            spark.readStream.format("rest")
            .option("url", f"{base}/data?cursor={{next_cursor}}")
            .option("method", "GET")
            .option("streaming", "true")
            .option("inputData", '[{"dummy": "value"}]')
            .option("streamingInterval", "60")
            .option("offsetType", "cursor")
            .option("offsetField", "next_cursor")
            .option("initialOffset", "start")
            .option("dataField", "results")
            .load()
        )
    return (
        spark.readStream.format("rest")
        .option("url", f"{base}/items?start_id={{id}}")
        .option("method", "GET")
        .option("streaming", "true")
        .option("inputData", '[{"dummy": "value"}]')
        .option("streamingInterval", "15")
        .option("offsetType", "incremental")
        .option("offsetField", "id")
        .option("initialOffset", "0")
        .load()
    )


def run_to_table(df: Any, name: str, ck: Path) -> list[Any]:
    available_now(df, "memory", ck, query_name=name)
    return df.sparkSession.table(name).collect()


@pytest.mark.parametrize("pattern", [1, 2, 3])
def test_seed_002_patterns_verbatim(spark: SparkSession, api: MockApi, pattern: int) -> None:
    """(g) Each pattern reads its growing feed: contiguous ids from 1, each once."""
    endpoint = {1: "events", 2: "data", 3: "items"}[pattern]
    api.get_json(f"/seed002/{endpoint}/all")
    time.sleep(1)
    base = f"{api.url}/seed002"
    with tempfile.TemporaryDirectory() as tmp:
        rows = run_to_table(seed_stream(spark, base, pattern), f"seed_{pattern}", Path(tmp))
    ids = sorted(json.loads(r.output)["id"] for r in rows)
    assert ids and ids == list(range(1, len(ids) + 1))


def test_seed_002_processing_streamed_data(spark: SparkSession, api: MockApi) -> None:
    """(g) "Processing Streamed Data": from_json over `output`, as written, on Pattern 1's
    stream (the seed's own url there has no offset placeholder, which fails by design)."""
    stream_df = seed_stream(spark, f"{api.url}/seed002", 1)
    schema = StructType(
        [
            StructField("id", StringType()),
            StructField("event_type", StringType()),
            StructField("timestamp", LongType()),
        ]
    )
    parsed_df = stream_df.select(
        from_json(col("output").cast("string"), schema).alias("event")
    ).select("event.*")
    filtered_df = parsed_df.filter(col("event_type") == "important")
    with tempfile.TemporaryDirectory() as tmp:
        rows = run_to_table(filtered_df, "seed_processing", Path(tmp))
    assert rows
    assert all(r.event_type == "important" and int(r.id) % 2 == 0 for r in rows)
    assert all(r.timestamp is not None for r in rows)


def failure_of(spark: SparkSession, options: dict[str, str]) -> str:
    df = read_stream(spark, options)
    name = f"fail_{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as tmp, pytest.raises(Exception) as error:
        available_now(df, "memory", tmp, query_name=name, timeout=120)
    return str(error.value)


def test_first_poll_errors_name_the_option(spark: SparkSession, api: MockApi) -> None:
    message = failure_of(spark, {"url": f"{api.url}/seed002/events", "dataField": "events"})
    assert "option 'url' has no offset placeholder" in message
    feed = f"err-{uuid.uuid4().hex[:8]}"
    api.get_json(f"/grow/{feed}/max?from=1&every=10&groups=5")
    time.sleep(0.3)
    message = failure_of(
        spark,
        {
            "url": feed_url(api, feed, "max?from={offset}", "every=10&groups=5"),
            "offsetType": "max_field",
            "offsetField": "created_at",
        },
    )
    assert "'created_at'" in message and "[data]" in message, message
