"""The continuous engine through Spark (issue 10), proven from the mock API's
/stats: consecutive Arrow batches in flight together, batch-endpoint keys
filling full requests across batches, identical requests of two tasks sent
once, connections within `concurrency`, and a cancelled job leaving nothing in
flight. Counts and bounds with margin, never timings."""

from __future__ import annotations

import time

from pyspark import InheritableThread
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from mockapi import MockApi
from spark_rest import rest_api_call


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_consecutive_batches_are_in_flight_together(spark: SparkSession) -> None:
    # Arrow batches of 8 rows, concurrency 24: only overlapping batches can
    # put more than 8 requests in flight.
    df = spark.range(0, 400, 1, 1).withColumnRenamed("id", "customer_id")
    with MockApi(latency_ms=50) as api:
        rows = rest_api_call(
            df,
            url=f"{api.url}/customers/{{customer_id}}",
            concurrency=24,
            arrow_batch_size=8,
            cache=False,
        ).collect()
        stats = api.stats()
    assert [r.customer_id for r in rows] == list(range(400))
    assert all(r._status == 200 for r in rows)
    assert stats["total"] == 400, stats
    assert 8 < stats["max_in_flight"] <= 24, stats


def test_batch_endpoint_keys_fill_full_requests_across_arrow_batches(
    spark: SparkSession, mock_api: MockApi
) -> None:
    # 1,000 distinct keys in Arrow batches of 250: 10 requests of 100, where a
    # batch-by-batch plan would send 4 x 3 = 12.
    df = spark.range(0, 1_000, 1, 1).withColumnRenamed("id", "customer_id")
    rows = rest_api_call(
        df,
        url=f"{mock_api.url}/customers/batch",
        batch_key="customer_id",
        batch_request_size=100,
        batch_result_key="customer_id",
        arrow_batch_size=250,
        schema="score INT",
        cache=False,
    ).collect()
    assert len(rows) == 1_000
    assert all(r._status == 200 and r.score == r.customer_id % 1000 for r in rows)
    stats = mock_api.stats()
    assert stats["batch_keys"] == 1_000, stats
    assert stats["total"] == 10, stats


def test_two_tasks_over_the_same_ids_send_each_request_once(spark: SparkSession) -> None:
    # Two partitions (two concurrent tasks in local[2]) over the same 100 ids,
    # cache off: every request is in flight for 1.5 s, so the second task
    # joins the first task's requests instead of sending its own.
    df = spark.range(0, 200, 1, 2).select((F.col("id") % 100).alias("customer_id"))
    with MockApi(latency_ms=1_500) as api:
        rows = rest_api_call(
            df, url=f"{api.url}/customers/{{customer_id}}", concurrency=100, cache=False
        ).collect()
        stats = api.stats()
    assert len(rows) == 200 and all(r._status == 200 for r in rows)
    assert stats["total"] == 100, stats


def test_connections_stay_within_concurrency(spark: SparkSession) -> None:
    df = spark.range(0, 6_000, 1, 2).withColumnRenamed("id", "customer_id")
    with MockApi() as api:
        rows = rest_api_call(
            df, url=f"{api.url}/customers/{{customer_id}}", concurrency=8, cache=False
        ).collect()
        stats = api.stats()
    assert len(rows) == 6_000
    assert stats["total"] == 6_000, stats
    # Strictly at most `concurrency` (see also test_connection_cap.py).
    assert 1 <= stats["max_open_connections"] <= 8, stats


def test_a_cancelled_job_leaves_nothing_in_flight(spark: SparkSession) -> None:
    sc = spark.sparkContext
    with MockApi() as api:
        # Every request would take 30 s (distinct URLs: no single-flight).
        slow = spark.range(0, 40, 1, 2).select((F.col("id") + 30_000).alias("ms"))
        query = rest_api_call(
            slow, url=f"{api.url}/slow/{{ms}}", concurrency=4, request_timeout=120_000
        )
        failure: list[BaseException] = []

        def run() -> None:
            sc.setJobGroup("spark-rest-cancel", "cancelled by the test")
            try:
                query.collect()
            except BaseException as e:  # the cancellation itself
                failure.append(e)

        job = InheritableThread(target=run, daemon=True)
        job.start()
        wait_until(lambda: api.stats()["in_flight"] >= 4, 60, "4 requests in flight")
        sc.cancelJobGroup("spark-rest-cancel")
        wait_until(lambda: api.stats()["in_flight"] == 0, 15, "in-flight requests to end")
        job.join(30)
        assert not job.is_alive()
        assert failure, "the job was cancelled, so it must have failed"
        # Aborts land asynchronously and Spark kills the two tasks one after the
        # other: queued requests may take the slots the first aborts freed, once.
        assert api.stats()["max_in_flight"] <= 8

        # The executor runs the next job at once.
        rows = rest_api_call(
            spark.range(0, 20, 1, 2).withColumnRenamed("id", "customer_id"),
            url=f"{api.url}/customers/{{customer_id}}",
        ).collect()
        assert len(rows) == 20 and all(r._status == 200 for r in rows)


def test_stragglers_and_retries_hold_no_slot_while_rows_remain(spark: SparkSession) -> None:
    # One task, 3,000 rows in Arrow batches of 1,024, concurrency 16: 1% of
    # requests are 1.5 s slower and 5% answered 503 (retried). A straggler or a
    # request sleeping before its retry must not stop the rest: in the middle of
    # the run (rows certainly remain) the server sees about `concurrency` in
    # flight, not just the stragglers, as an engine stalled behind the head of
    # its batch would show. The median of the samples, with a wide margin.
    rows, concurrency = 3_000, 16
    df = spark.range(0, rows, 1, 1).withColumnRenamed("id", "customer_id")
    samples: list[tuple[int, int]] = []
    with MockApi(
        latency_ms=20, straggler_rate=0.01, straggler_ms=1_500, fail_rate=0.05, seed=11
    ) as api:
        done = False

        def sample() -> None:
            while not done:
                stats = api.stats()
                samples.append((stats["total"], stats["in_flight"]))
                time.sleep(0.01)

        sampler = InheritableThread(target=sample, daemon=True)
        sampler.start()
        try:
            result = rest_api_call(
                df,
                url=f"{api.url}/customers/{{customer_id}}",
                concurrency=concurrency,
                retry_backoff=20,
                max_retries=6,
                cache=False,
            ).collect()
        finally:
            done = True
            sampler.join()
        stats = api.stats()
    assert len(result) == rows and all(r._status == 200 for r in result)
    assert stats["max_in_flight"] <= concurrency, stats
    middle = sorted(f for t, f in samples if rows * 0.25 <= t <= rows * 0.75)
    assert len(middle) >= 5, f"too few samples in the middle of the run: {samples[:50]}"
    assert middle[len(middle) // 2] >= concurrency // 2, middle
