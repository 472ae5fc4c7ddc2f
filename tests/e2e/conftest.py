"""Fixtures of the end-to-end suites: real Spark (local mode), the real jar and
native library, and the project's mock API server on 127.0.0.1. Nothing is mocked.

Environment:
    SPARK_REST_JAR                 the jar to test (default: dist/spark-rest.jar)
    SPARK_REST_NATIVE_LIBRARY      if set, the native library to load (spark.rest.nativeLibrary)
                                   instead of the one embedded in the jar
    SPARK_REST_E2E_TEST_TIMEOUT    seconds one test may run before its Spark jobs are
                                   cancelled (default 300)
"""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
from collections.abc import Iterator

import pytest
from pyspark import SparkContext
from pyspark.sql import SparkSession

from helpers import jar_under_test
from mockapi import MockApi
from spark_rest import with_spark_rest

# Spark's driver and executors bind to loopback only (also for child processes).
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

TEST_TIMEOUT = float(os.environ.get("SPARK_REST_E2E_TEST_TIMEOUT", "300"))


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local[2] SparkSession for the whole run, with the jar under test."""
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("spark-rest-e2e")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
    )
    native_library = os.environ.get("SPARK_REST_NATIVE_LIBRARY")
    if native_library:
        builder = builder.config("spark.rest.nativeLibrary", os.path.abspath(native_library))
    session = with_spark_rest(builder, jar=jar_under_test()).getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def mock_api_server() -> Iterator[MockApi]:
    """A well-behaved mock API (no latency, no faults) shared by the session."""
    with MockApi() as api:
        yield api


@pytest.fixture
def mock_api(mock_api_server: MockApi) -> MockApi:
    """The shared mock API with its counters reset for this test."""
    mock_api_server.reset()
    return mock_api_server


@pytest.fixture(autouse=True)
def _bounded(request: pytest.FixtureRequest) -> Iterator[None]:
    """Bound every test: cancel its Spark jobs after TEST_TIMEOUT seconds, and dump
    the stacks and exit the process if even that does not end it."""

    def cancel() -> None:
        sys.stderr.write(f"\n{request.node.nodeid}: timed out after {TEST_TIMEOUT}s\n")
        context = SparkContext._active_spark_context
        if context is not None:
            context.cancelAllJobs()

    timer = threading.Timer(TEST_TIMEOUT, cancel)
    timer.daemon = True
    timer.start()
    faulthandler.dump_traceback_later(TEST_TIMEOUT + 120, exit=True)
    try:
        yield
    finally:
        timer.cancel()
        faulthandler.cancel_dump_traceback_later()
