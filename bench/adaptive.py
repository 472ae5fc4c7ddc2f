"""`make bench`, part 2: `concurrency=auto` against the best fixed concurrency.

Against the mock API's capacity-limited endpoint (at most SLOTS requests at once, SERVICE_MS
each, the rest queued: SLOTS * 1000 / SERVICE_MS requests per second at most) it
1. sweeps fixed `concurrency` settings and keeps the best throughput;
2. runs `concurrency=auto` and samples, every 100 ms, the requests in flight at the API (the
   limit in use) and the requests per second it answered; the curve is saved as a PNG;
3. runs `auto` against a rate-limited endpoint (RPS per second, draft RateLimit headers).
Printed: rows/s and p99 latency of each setting, auto as a share of the best, where auto
settled (requests in flight at the API and their rate once slow start is over), the rate and
429 share of the rate-limited run. Every run must return every row with status 200.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "tests"))

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from mockapi import MockApi  # noqa: E402
from spark_rest import last_query_metrics, rest_api_call, with_spark_rest  # noqa: E402


class Sampler:
    """Samples the API's requests in flight and answered total every `period` seconds."""

    def __init__(self, api: MockApi, period: float = 0.1) -> None:
        self.api, self.period = api, period
        self.points: list[tuple[float, int, int]] = []  # (seconds, in flight, total)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            stats = self.api.stats()
            now = time.monotonic() - self._started
            self.points.append((now, stats["in_flight"], stats["total"]))
            time.sleep(self.period)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def latency_ms(metrics: dict[str, str], which: str = "p99") -> float:
    """The worst task's p50 or p99 latency, from the SQL metric's display string
    ``"total (min, med, max (stageId: taskId))\n210 ms (100 ms, 110 ms, 110 ms (stage ...))"``:
    the max, the 4th number (the 1st is the sum over tasks, which is no latency)."""
    name = f"request latency {which} (per batch, max in task)"
    line = metrics.get(name, "").splitlines()[-1:]
    if not line:
        return float("nan")
    values = line[0].replace("(", " ").replace(")", " ").replace(",", " ").split()
    numbers = [(float(v), u) for v, u in itertools.pairwise(values) if _number(v)]
    scale = {"ms": 1.0, "s": 1e3, "m": 6e4}
    if not numbers:
        return float("nan")
    value, unit = numbers[3] if len(numbers) >= 4 else numbers[-1]
    return value * scale.get(unit, 1.0)


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def run(spark: SparkSession, api: MockApi, url: str, rows: int, **options) -> dict:
    df = spark.range(rows).withColumnRenamed("id", "customer_id").repartition(2).cache()
    df.count()
    api.reset()
    started = time.perf_counter()
    enriched = rest_api_call(df, url=url, cache=False, **options)
    ok = enriched.where(F.col("_status") == 200).count()
    seconds = time.perf_counter() - started
    df.unpersist()
    if ok != rows:
        raise SystemExit(f"{options}: {ok} of {rows} rows came back with status 200")
    stats = api.stats()
    metrics = last_query_metrics(spark)
    return {
        "rate": rows / seconds,
        "seconds": seconds,
        "p99_ms": latency_ms(metrics),
        "p50_ms": latency_ms(metrics, "p50"),
        "refused": stats["by_status"].get("429", 0),
        "requests": stats["total"],
        "max_in_flight": stats["max_in_flight"],
        "metrics": metrics,
    }


def settled(points: list[tuple[float, int, int]], after: float = 2.0) -> dict:
    """The API's view of a run once slow start is over: from `after` seconds past the first
    request to the last 10 % of requests (the query's tail, when tasks run dry): the median
    and highest requests in flight, and requests answered per second."""
    start = next((t for t, n, total in points if n or total), 0.0)
    final = points[-1][2] if points else 0
    window = [(t, n, total) for t, n, total in points if t >= start + after and total < 0.9 * final]
    if len(window) < 2:
        return {"median": float("nan"), "highest": 0, "rate": float("nan")}
    in_flight = sorted(n for _, n, _ in window)
    rate = (window[-1][2] - window[0][2]) / (window[-1][0] - window[0][0])
    return {"median": in_flight[len(in_flight) // 2], "highest": in_flight[-1], "rate": rate}


def plot(points: list[tuple[float, int, int]], capacity: float, slots: int, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # From the query's first request (the sampler starts before the input is cached).
    start = next((i for i, (_, n, total) in enumerate(points) if n or total), 0)
    points = [(t - points[start][0], n, total) for t, n, total in points[max(start - 1, 0) :]]
    times = [t for t, _, _ in points]
    in_flight = [n for _, n, _ in points]
    rates = [0.0] + [
        max(0.0, (b[2] - a[2]) / (b[0] - a[0])) if b[0] > a[0] else 0.0
        for a, b in itertools.pairwise(points)
    ]
    fig, left = plt.subplots(figsize=(8, 4.2))
    left.plot(times, in_flight, color="tab:blue", label="requests in flight at the API")
    left.axhline(slots, color="tab:blue", linestyle=":", label=f"API capacity ({slots} at once)")
    left.set_xlabel("seconds since the query started")
    left.set_ylabel("requests in flight (the adaptive limit in use)", color="tab:blue")
    right = left.twinx()
    right.plot(times, rates, color="tab:orange", label="throughput (requests/s)")
    right.axhline(capacity, color="tab:orange", linestyle=":", label="API maximum")
    right.set_ylabel("requests per second", color="tab:orange")
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = left.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    left.legend(handles, labels, loc="lower right", fontsize=8)
    left.set_title("concurrency=auto against a capacity-limited API (make bench)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slots", type=int, default=64)
    parser.add_argument("--service-ms", type=int, default=50)
    parser.add_argument("--rows", type=int, default=16_000)
    parser.add_argument("--sweep", default="32,64,96,128,256")
    parser.add_argument("--rps", type=int, default=500)
    parser.add_argument("--rate-rows", type=int, default=3_000)
    parser.add_argument("--plot", default=str(ROOT / "bench" / "adaptive.png"))
    args = parser.parse_args()

    os.environ.setdefault("SPARK_REST_JAR", str(ROOT / "dist" / "spark-rest.jar"))
    builder = SparkSession.builder.master("local[2]").appName("spark-rest-bench-adaptive")
    if os.environ.get("SPARK_REST_NATIVE_LIBRARY"):
        library = os.path.abspath(os.environ["SPARK_REST_NATIVE_LIBRARY"])
        builder = builder.config("spark.rest.nativeLibrary", library)
    spark = with_spark_rest(builder).config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    capacity = args.slots * 1000 / args.service_ms
    with MockApi() as api:
        url = f"{api.url}/capacity/{args.slots}/{args.service_ms}/{{customer_id}}"
        # Unloaded latency: the median at two at a time (after a warm-up run).
        run(spark, api, url, 200, concurrency=2)
        unloaded = run(spark, api, url, 400, concurrency=2)["p50_ms"]
        results = []
        for c in [int(c) for c in args.sweep.split(",")]:
            results.append((f"fixed {c}", run(spark, api, url, args.rows, concurrency=c)))
        api.reset()  # the sampler's first points are then this run's, not the sweep's
        with Sampler(api) as sampler:
            auto = run(spark, api, url, args.rows, concurrency="auto")
        plot(sampler.points, capacity, args.slots, Path(args.plot))
        steady = settled(sampler.points)
        rate_url = f"{api.url}/ratelimited/{args.rps}/draft/{{customer_id}}"
        api.reset()
        with Sampler(api) as rate_sampler:
            limited = run(spark, api, rate_url, args.rate_rows, concurrency="auto")
        # The API's view: requests answered per second from its first to its last request.
        busy = [t for t, _, total in rate_sampler.points if 0 < total < limited["requests"]]
        served_rate = limited["requests"] / max(busy[-1] - busy[0], 1e-3) if busy else 0.0
    spark.stop()

    best_name, best = max(results, key=lambda r: r[1]["rate"])
    print(
        f"\ncapacity-limited API: {args.slots} at once, {args.service_ms} ms each "
        f"(at most {capacity:.0f}/s); unloaded latency (median, 2 at a time) {unloaded:.0f} ms; "
        f"{args.rows} rows, local[2]"
    )
    print(f"{'concurrency':<14}{'rows/s':>9}{'of API max':>12}{'p99 ms':>9}{'p99/unloaded':>14}")
    for name, r in [*results, ("auto", auto)]:
        print(
            f"{name:<14}{r['rate']:>9.0f}{r['rate'] / capacity:>11.0%}{r['p99_ms']:>9.0f}"
            f"{r['p99_ms'] / unloaded:>13.1f}x"
        )
    peak = auto["metrics"].get("concurrency limit (peak, per task)", "?")
    print(
        f"auto: {auto['rate'] / best['rate']:.0%} of the best fixed setting ({best_name}); "
        f"peak limit per task {peak}; max in flight at the API {auto['max_in_flight']}"
    )
    print(
        f"auto once settled (2 s after its first request, before the tail): median "
        f"{steady['median']} in flight at the API (highest {steady['highest']}), "
        f"{steady['rate']:.0f} requests/s = {steady['rate'] / capacity:.0%} of the API maximum"
    )
    share_429 = limited["refused"] / max(1, limited["requests"])
    print(
        f"rate-limited API ({args.rps}/s, RateLimit headers): auto served {served_rate:.0f}/s "
        f"at the API = {served_rate / args.rps:.0%} of the limit ({limited['rate']:.0f} rows/s "
        f"for the whole query), "
        f"429s {limited['refused']} of {limited['requests']} requests ({share_429:.2%})"
    )
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
