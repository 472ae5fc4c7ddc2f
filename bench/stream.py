"""`make bench`, streaming line: records per second through a 100,000-record backlog read by
`spark.readStream.format("rest")` with `batchSize=10000` and `Trigger.AvailableNow`, and the
requests each micro-batch cost (the record log adds none: one request per poll).

The backlog is a feed of the mock API on 127.0.0.1 (`/grow/{feed}/ids`, a bare JSON array,
incremental offsets, at most 1000 records per response, as many APIs cap their pages), fully
produced before the query starts. Printed: records, seconds, records/s, micro-batches,
requests, requests per micro-batch.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "tests"))

from pyspark.sql import SparkSession  # noqa: E402

from mockapi import MockApi  # noqa: E402
from rest_stream import (  # noqa: E402
    available_now,
    feed_all,
    feed_url,
    read_stream,
    wait_feed_done,
)
from spark_rest import with_spark_rest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args()
    per = 100  # records per offset value; one value per ms: the backlog exists within ~1 s
    groups = args.records // per

    jar = os.environ.get("SPARK_REST_JAR", str(ROOT / "dist" / "spark-rest.jar"))
    builder = SparkSession.builder.master("local[2]").appName("spark-rest-bench-stream")
    spark = with_spark_rest(builder, jar=jar).config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    with MockApi() as api, tempfile.TemporaryDirectory() as tmp:
        shape = f"per={per}&every=1&groups={groups}"
        api.get_json(f"/grow/bench/ids?from=1&{shape}")
        wait_feed_done(api, "bench")
        before = feed_all(api, "bench")["requests"]
        options = {
            "url": feed_url(api, "bench", "ids?from={offset}", shape),
            "schema": "id BIGINT, ts BIGINT, value STRING",
            "offsetType": "incremental",
            "offsetField": "ts",
            "initialOffset": "1",
            "batchSize": str(args.batch_size),
        }
        started = time.perf_counter()
        query = available_now(read_stream(spark, options), "noop", Path(tmp) / "ck", timeout=None)
        seconds = time.perf_counter() - started
        if query.exception() is not None:
            raise SystemExit(f"query failed: {query.exception()}")
        batches = [p for p in query.recentProgress if p["numInputRows"] > 0]
        records = sum(p["numInputRows"] for p in batches)
        requests = feed_all(api, "bench")["requests"] - before
    spark.stop()
    if records != args.records:
        raise SystemExit(f"read {records} records of {args.records}")
    print(f"\nstreaming backlog, batchSize {args.batch_size}, AvailableNow, local[2]")
    print(
        f"{'records':>9}{'seconds':>9}{'records/s':>11}{'batches':>9}{'requests':>10}{'req/batch':>11}"
    )
    print(
        f"{records:>9}{seconds:>9.2f}{records / seconds:>11.0f}{len(batches):>9}"
        f"{requests:>10}{requests / max(1, len(batches)):>11.1f}"
    )


if __name__ == "__main__":
    main()
