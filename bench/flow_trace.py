"""Where a scenario's wall time goes, seen from the mock API (`scenarios.py --trace`).

A thread polls the mock's `/stats` every few milliseconds while one approach runs
and splits the wall time into:
- start: from the action's start to the first request the server saw (Spark job and
  stage start, task launch, engine creation);
- steady: from the first request until requests in flight fall below half of
  `concurrency` for good, with the average in flight over that phase (the server's
  `in_flight`, sampled) as a share of `concurrency`;
- drain: the tail while the last requests finish (few rows are left, so slots idle);
- end: from the last request's end to the action's return (result rows through
  Spark, job end).
Only the steady phase says whether the engine keeps `concurrency` busy while rows
remain; start, drain and end are fixed costs of one Spark job.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class Trace:
    """Samples of (seconds since start, requests in flight, requests started)."""

    started: float = field(default_factory=time.perf_counter)
    samples: list[tuple[float, int, int]] = field(default_factory=list)


class Sampler:
    """Polls `api.stats()` on a thread from `start()` until `stop()`."""

    def __init__(self, api, every_s: float = 0.005) -> None:
        self._api = api
        self._every = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.trace = Trace()

    def start(self) -> None:
        self.trace = Trace()
        self._thread.start()

    def stop(self) -> Trace:
        self._stop.set()
        self._thread.join()
        return self.trace

    def _run(self) -> None:
        while not self._stop.is_set():
            stats = self._api.stats()
            now = time.perf_counter() - self.trace.started
            self.trace.samples.append((now, stats["in_flight"], stats["total"]))
            self._stop.wait(self._every)


def phases(trace: Trace, seconds: float, concurrency: int) -> str:
    """One line: start / steady (average in flight) / drain / end, in seconds."""
    samples = trace.samples
    busy = [s for s in samples if s[2] > 0]
    if not busy:
        return "trace: the server saw no request"
    first = busy[0][0]
    full = [s for s in busy if s[1] >= concurrency / 2]
    steady_end = full[-1][0] if full else first
    last = max((s[0] for s in busy if s[1] > 0), default=steady_end)
    steady = [s for s in busy if first <= s[0] <= steady_end]
    average = sum(s[1] for s in steady) / len(steady) if steady else 0.0
    at_cap = sum(1 for s in steady if s[1] >= concurrency) / len(steady) if steady else 0.0
    return (
        f"trace: start {first:.2f}s | steady {steady_end - first:.2f}s, "
        f"{average:.1f} in flight on average ({average / concurrency:.0%} of {concurrency}, "
        f"at the cap {at_cap:.0%} of samples) | drain {last - steady_end:.2f}s | "
        f"end {max(0.0, seconds - last):.2f}s | {len(samples)} samples"
    )
