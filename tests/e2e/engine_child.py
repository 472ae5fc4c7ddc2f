"""Run a snippet in a fresh Python process with its own SparkSession.

Some engine suites need what the shared ``spark`` fixture cannot give: another master
(``local[4]``), environment variables set before the JVM starts, or the JVM's own stderr
(where the native engine logs). ``run_child`` starts ``python engine_child.py`` with a JSON
job description; the child builds a session with the jar under test, runs the snippet with
``spark``, ``rest_api_call``, ``last_query_metrics`` and ``emit`` in scope, and prints each
``emit(value)`` as one ``RESULT <json>`` line. Everything it wrote (stdout, stderr, Spark's
log) comes back to the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULT = "RESULT "


@dataclass
class ChildRun:
    stdout: str
    stderr: str
    results: list[Any]

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr


def run_child(
    snippet: str,
    *,
    master: str = "local[2]",
    conf: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 240,
) -> ChildRun:
    """Runs ``snippet`` in a child process; fails the calling test when the child fails."""
    import pytest

    from helpers import jar_under_test

    job = {
        "master": master,
        "conf": conf or {},
        "jar": str(jar_under_test()),
        "snippet": textwrap.dedent(snippet),
    }
    native = os.environ.get("SPARK_REST_NATIVE_LIBRARY")
    if native:
        job["conf"].setdefault("spark.rest.nativeLibrary", os.path.abspath(native))
    child_env = dict(os.environ)
    child_env.pop("PYSPARK_SUBMIT_ARGS", None)
    child_env.update(env or {})
    try:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), json.dumps(job)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=child_env,
            cwd=str(HERE),
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"child Spark process did not finish in {timeout}s:\n{exc.stderr!s:.4000}")
    if done.returncode != 0:
        pytest.fail(
            f"child Spark process failed ({done.returncode})\nstdout:\n{done.stdout[-4000:]}\n"
            f"stderr:\n{done.stderr[-8000:]}"
        )
    results = [
        json.loads(line[len(RESULT) :])
        for line in done.stdout.splitlines()
        if line.startswith(RESULT)
    ]
    return ChildRun(done.stdout, done.stderr, results)


def _main(job: dict[str, Any]) -> None:
    from pyspark.sql import SparkSession

    import helpers  # noqa: F401  (puts python/ and tests/ on sys.path)
    from spark_rest import last_query_metrics, rest_api_call, with_spark_rest

    builder = (
        SparkSession.builder.master(job["master"])
        .appName("spark-rest-e2e-child")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
    )
    for key, value in job["conf"].items():
        builder = builder.config(key, value)
    spark = with_spark_rest(builder, jar=job["jar"]).getOrCreate()

    def emit(value: Any) -> None:
        print(RESULT + json.dumps(value), flush=True)

    scope = {
        "spark": spark,
        "rest_api_call": rest_api_call,
        "last_query_metrics": last_query_metrics,
        "emit": emit,
    }
    try:
        exec(compile(job["snippet"], "<snippet>", "exec"), scope)
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    _main(json.loads(sys.argv[1]))
