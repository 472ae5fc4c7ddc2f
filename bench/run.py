"""`make bench`: the native path against what users write today, in one run.

All three approaches enrich the same rows against the project's mock API on
127.0.0.1 (fixed per-request latency), in one local[2] Spark session, and
must return every row with status 200. Printed: seconds, rows per second,
and each approach's speed relative to the native path.

- spark-rest: `rest_api_call` (native engine, concurrency per executor);
- Python UDF: `requests.get` one row at a time in a Python worker;
- mapInArrow + thread pool: `requests` with a session and as many threads
  as spark-rest's concurrency, per partition (the best hand-rolled version).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "tests"))

from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from mockapi import MockApi  # noqa: E402
from spark_rest import rest_api_call, with_spark_rest  # noqa: E402


def native(df: DataFrame, base: str, concurrency: int) -> DataFrame:
    return rest_api_call(df, url=f"{base}/customers/{{customer_id}}", concurrency=concurrency)


def python_udf(df: DataFrame, base: str, concurrency: int) -> DataFrame:
    import requests

    @F.udf("int")
    def status(customer_id: int) -> int:
        return requests.get(f"{base}/customers/{customer_id}", timeout=30).status_code

    return df.withColumn("_status", status("customer_id"))


def map_in_arrow(df: DataFrame, base: str, concurrency: int) -> DataFrame:
    def call(batches: Iterator) -> Iterator:
        import pyarrow as pa
        import requests

        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=concurrency)
        session.mount("http://", adapter)

        def status(customer_id: int) -> int:
            return session.get(f"{base}/customers/{customer_id}", timeout=30).status_code

        with ThreadPoolExecutor(concurrency) as pool:
            for batch in batches:
                ids = batch.column("customer_id").to_pylist()
                statuses = pa.array(list(pool.map(status, ids)), pa.int32())
                yield pa.RecordBatch.from_arrays(
                    [batch.column("customer_id"), statuses], ["customer_id", "_status"]
                )

    return df.mapInArrow(call, "customer_id long, _status int")


APPROACHES = [
    ("spark-rest (native)", native),
    ("mapInArrow + threads", map_in_arrow),
    ("Python UDF (requests)", python_udf),
]


def run(spark: SparkSession, api: MockApi, fn, rows: int, concurrency: int) -> float:
    df = spark.range(rows).withColumnRenamed("id", "customer_id").repartition(2)
    df = df.cache()
    df.count()
    started = time.perf_counter()
    ok = fn(df, api.url, concurrency).where(F.col("_status") == 200).count()
    elapsed = time.perf_counter() - started
    df.unpersist()
    if ok != rows:
        raise SystemExit(f"{fn.__name__}: {ok} of {rows} rows came back with status 200")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--udf-rows", type=int, default=2_000, help="rows for the slow UDF")
    parser.add_argument("--latency-ms", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    import pyspark

    line = ".".join(pyspark.__version__.split(".")[:2])
    jar = os.environ.get("SPARK_REST_JAR", str(ROOT / "dist" / f"spark-rest-spark{line}.jar"))
    os.environ.setdefault("SPARK_REST_JAR", jar)
    # The alternatives run Python workers: they need this interpreter's packages.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master("local[2]").appName("spark-rest-bench")
    spark = (
        with_spark_rest(builder)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    results = []
    with MockApi(latency_ms=args.latency_ms) as api:
        for name, fn in APPROACHES:
            rows = args.udf_rows if fn is python_udf else args.rows
            api.reset()
            seconds = run(spark, api, fn, rows, args.concurrency)
            results.append((name, rows, seconds, rows / seconds))
    spark.stop()

    base = results[0][3]
    print(f"\nmock API latency {args.latency_ms} ms, concurrency {args.concurrency}, local[2]")
    print(f"{'approach':<24}{'rows':>8}{'seconds':>10}{'rows/s':>10}{'vs native':>11}")
    for name, rows, seconds, rate in results:
        print(f"{name:<24}{rows:>8}{seconds:>10.2f}{rate:>10.0f}{base / rate:>10.1f}x")
    print("(vs native: how many times faster spark-rest is)")


if __name__ == "__main__":
    main()
