"""`make bench`, part 2: the continuous engine against the ideal and the peers.

Each scenario runs against the project's mock API on 127.0.0.1 in one local[2]
Spark session, and every approach must return every row with status 200. The
ideal is what `concurrency` allows: requests in flight divided by the mean
latency (`concurrency x batchRequestSize / latency` for the batch endpoint).
Printed per scenario: rows/s, the ratio to the ideal (requests/s counted by the
mock over the wall time, so retried 503s count as the work they are), and how
many times faster spark-rest is than each peer.

Scenarios (each bounded to a few seconds):
- uniform: every request 20 ms;
- stragglers: 20 ms, 2% of requests 500 ms slower, 5% answered 503 (retried);
- batch: the batch endpoint, 100 keys per request, 20 ms;
- 0 ms: the engine's own cost per row (one request per row).

Peers: `pandas_udf` with an aiohttp gather (the strongest Python a user writes
today) and `mapInArrow` with a thread pool, each with `concurrency` split over
the two tasks.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "tests"))

import pandas as pd  # noqa: E402  (module level: pandas_udf resolves the type hints here)
from flow_trace import Sampler, phases  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from mockapi import MockApi  # noqa: E402
from spark_rest import rest_api_call, with_spark_rest  # noqa: E402

TASKS = 2  # local[2]: two tasks share the executor
WARM_UP_ROWS = 4_096
# Retries of a 429 or 5xx, the same for every approach. With 5% of answers 503, four
# attempts all fail for about one row in 160,000: a stragglers run of about 80,000 rows
# (warm-ups included) lost one every few runs and ended the bench. Six: one in 60 million.
RETRIES = 5


def native(df: DataFrame, base: str, concurrency: int) -> DataFrame:
    return rest_api_call(
        df,
        url=f"{base}/customers/{{customer_id}}",
        concurrency=concurrency,
        cache=False,
        retry_backoff=20,
        max_retries=RETRIES,
    )


def native_batch(df: DataFrame, base: str, concurrency: int) -> DataFrame:
    return rest_api_call(
        df,
        url=f"{base}/customers/batch",
        batch_key="customer_id",
        batch_request_size=100,
        batch_result_key="customer_id",
        concurrency=concurrency,
        cache=False,
    )


def aiohttp_gather(df: DataFrame, base: str, concurrency: int) -> DataFrame:
    per_task = max(1, concurrency // TASKS)

    @F.pandas_udf("int")
    def status(ids: pd.Series) -> pd.Series:
        import asyncio

        import aiohttp

        async def main() -> list[int]:
            limit = asyncio.Semaphore(per_task)
            connector = aiohttp.TCPConnector(limit=per_task)
            async with aiohttp.ClientSession(connector=connector) as session:

                async def one(customer_id: int) -> int:
                    async with limit:
                        code = 0
                        for attempt in range(RETRIES + 1):
                            async with session.get(f"{base}/customers/{customer_id}") as r:
                                await r.read()
                                code = r.status
                            if code not in (429, 500, 502, 503, 504):
                                return code
                            await asyncio.sleep(0.02 * 2**attempt)
                        return code

                return await asyncio.gather(*(one(int(i)) for i in ids))

        return pd.Series(asyncio.run(main()), dtype="int32")

    return df.withColumn("_status", status("customer_id"))


def map_in_arrow(df: DataFrame, base: str, concurrency: int) -> DataFrame:
    per_task = max(1, concurrency // TASKS)

    def call(batches: Iterator) -> Iterator:
        import pyarrow as pa
        import requests

        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=per_task))

        def status(customer_id: int) -> int:
            code = 0
            for attempt in range(RETRIES + 1):
                code = session.get(f"{base}/customers/{customer_id}", timeout=30).status_code
                if code not in (429, 500, 502, 503, 504):
                    return code
                time.sleep(0.02 * 2**attempt)
            return code

        with ThreadPoolExecutor(per_task) as pool:
            for batch in batches:
                ids = batch.column("customer_id").to_pylist()
                statuses = pa.array(list(pool.map(status, ids)), pa.int32())
                yield pa.RecordBatch.from_arrays(
                    [batch.column("customer_id"), statuses], ["customer_id", "_status"]
                )

    return df.mapInArrow(call, "customer_id long, _status int")


Approach = Callable[[DataFrame, str, int], DataFrame]


def run(
    spark: SparkSession,
    api: MockApi,
    fn: Approach,
    rows: int,
    concurrency: int,
    trace: bool = False,
):
    df = spark.range(rows).withColumnRenamed("id", "customer_id").repartition(TASKS)
    df = df.cache()
    df.count()
    api.reset()
    sampler = Sampler(api) if trace else None
    if sampler:
        sampler.start()
    started = time.perf_counter()
    ok = fn(df, api.url, concurrency).where(F.col("_status") == 200).count()
    seconds = time.perf_counter() - started
    if sampler:
        print(phases(sampler.stop(), seconds, concurrency), flush=True)
    stats = api.stats()
    df.unpersist()
    if ok != rows:
        raise SystemExit(f"{fn.__name__}: {ok} of {rows} rows came back with status 200")
    return seconds, stats


def of_real_ideal(stats: dict, requests_per_s: float, concurrency: int) -> float | None:
    """Requests/s over `concurrency / mean latency`, with the mean latency the mock
    measured for its answers (its timers and a loaded machine stretch the nominal
    latency; a client cannot beat the API's real latency)."""
    busy, total = stats.get("busy_micros", 0), stats.get("total", 0)
    if not busy or not total:
        return None
    return requests_per_s * (busy / total / 1e6) / concurrency


def scenario(
    spark, title, mock_flags, approaches, rows, concurrency, ideal_requests_per_s, trace=False
):
    print(f"\n== {title} (concurrency {concurrency}, local[2])", flush=True)
    print(
        f"{'approach':<26}{'rows':>9}{'seconds':>9}{'rows/s':>10}{'of ideal':>10}"
        f"{'of real':>9}{'native x':>10}"
    )
    results = []
    with MockApi(**mock_flags) as api:
        for name, fn, n in approaches:
            n = n or rows
            # Warm-up, not timed: the first query of a session pays one-off costs (JIT,
            # loading the native library, the engine and its connection pool) that no
            # steady-state ratio should carry.
            run(spark, api, fn, WARM_UP_ROWS, concurrency)
            seconds, stats = run(spark, api, fn, n, concurrency, trace)
            requests_per_s = stats["total"] / seconds
            ideal = requests_per_s / ideal_requests_per_s if ideal_requests_per_s else None
            real = of_real_ideal(stats, requests_per_s, concurrency) if ideal else None
            results.append((name, n, seconds, n / seconds, ideal, stats))
            base = results[0][3]
            rate = n / seconds
            shown = f"{ideal:>9.0%}" if ideal is not None else f"{'-':>9}"
            shown_real = f"{real:>8.0%}" if real is not None else f"{'-':>8}"
            print(
                f"{name:<26}{n:>9}{seconds:>9.2f}{rate:>10.0f}{shown} {shown_real}"
                f" {base / rate:>8.1f}x",
                flush=True,
            )
    first = results[0][5]
    print(
        f"(spark-rest: {first['total']} requests, most in flight {first['max_in_flight']}, "
        f"most connections open {first.get('max_open_connections', '?')})"
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every row count")
    parser.add_argument("--only", default="", help="comma-separated: uniform,stragglers,batch,zero")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="sample the mock's requests in flight and print where the wall time went",
    )
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    c = args.concurrency

    def rows(n: int) -> int:
        return max(1_000, int(n * args.scale))

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # The jar of this checkout's build, named explicitly, never the jars bundled under
    # python/spark_rest/jars (copied by `make wheel`), which a `make native jar` leaves
    # stale; a bench once measured an older engine that way.
    jar = os.environ.get("SPARK_REST_JAR", str(ROOT / "dist" / "spark-rest.jar"))
    print(f"jar: {jar}", flush=True)
    builder = SparkSession.builder.master("local[2]").appName("spark-rest-bench-scenarios")
    if os.environ.get("SPARK_REST_NATIVE_LIBRARY"):
        # e.g. a `--profile profiling` build, for perf with symbols.
        library = os.path.abspath(os.environ["SPARK_REST_NATIVE_LIBRARY"])
        builder = builder.config("spark.rest.nativeLibrary", library)
    spark = (
        with_spark_rest(builder, jar=jar)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")

    def peers(n: int) -> list:
        if args.no_peers:
            return []
        return [
            ("pandas_udf + aiohttp", aiohttp_gather, n),
            ("mapInArrow + threads", map_in_arrow, n),
        ]

    if not only or "uniform" in only:
        n = rows(40_000)
        scenario(
            spark,
            "uniform 20 ms",
            {"latency_ms": 20},
            [("spark-rest (native)", native, n), *peers(n)],
            n,
            c,
            c / 0.020,
            args.trace,
        )
    if not only or "stragglers" in only:
        n = rows(24_000)
        scenario(
            spark,
            "20 ms, 2% of requests 500 ms slower, 5% answered 503",
            {
                "latency_ms": 20,
                "straggler_rate": 0.02,
                "straggler_ms": 500,
                "fail_rate": 0.05,
                "seed": 7,
            },
            [("spark-rest (native)", native, n), *peers(n)],
            n,
            c,
            c / (0.020 + 0.02 * 0.500),
            args.trace,
        )
    if not only or "batch" in only:
        n = rows(400_000)
        batch_c = 16
        scenario(
            spark,
            "batch endpoint, 100 keys per request, 20 ms",
            {"latency_ms": 20},
            [("spark-rest (native)", native_batch, n)],
            n,
            batch_c,
            batch_c / 0.020,
            args.trace,
        )
    if not only or "zero" in only:
        n = rows(300_000)
        scenario(
            spark,
            "0 ms (engine cost per row)",
            {},
            [("spark-rest (native)", native, n), *peers(rows(60_000))],
            n,
            c,
            None,
        )
    spark.stop()
    print(
        "\nof ideal: requests/s over (concurrency / nominal mean latency); of real: the same"
        " with the mean latency the mock measured; native x: times faster"
    )


if __name__ == "__main__":
    main()
