"""One SparkSession per Spark line for the smoke of that line (``make test-spark LINE=X``).

The pyspark under test is whichever ``import pyspark`` finds: the Makefile puts the line's
cached ``.spark/<line>`` first on ``PYTHONPATH``. On 4.x the session is started the way a
Connect user starts one, ``with_spark_rest(SparkSession.builder.remote("local[2]"))``:
pyspark starts a local Spark Connect server in a classic session of this process, whose JVM
then also serves the classic checks (one JVM per line). On 3.5 (no Connect in its pyspark)
a classic session is started.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from helpers import jar_under_test, spark_line
from mockapi import MockApi
from spark_rest import with_spark_rest

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# pyspark's local Connect server then binds an ephemeral port and its client finds it
# (instead of 15002, which another process on the machine may hold).
os.environ["SPARK_TESTING"] = "1"

CONNECT_LINES = ("4.0", "4.1", "4.2", "4.3")


@dataclass
class Sessions:
    line: str
    classic: Any
    connect: Any | None  # None on 3.5


@pytest.fixture(scope="session")
def sessions() -> Iterator[Sessions]:
    from pyspark.sql import SparkSession

    line = spark_line()
    confs = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.driver.memory": "1g",
        "spark.connect.grpc.binding.address": "127.0.0.1",
    }
    jar = str(jar_under_test())
    if line in CONNECT_LINES:
        builder = SparkSession.builder.remote("local[2]")
        for key, value in confs.items():
            builder = builder.config(key, value)
        connect = with_spark_rest(builder, jar=jar).getOrCreate()
        classic = SparkSession._instantiatedSession  # the server's own classic session
        assert classic is not None and classic is not connect
    else:
        builder = SparkSession.builder.master("local[2]")
        for key, value in confs.items():
            builder = builder.config(key, value)
        classic = with_spark_rest(builder, jar=jar, sql_extensions=True).getOrCreate()
        connect = None
    classic.sparkContext.setLogLevel("ERROR")
    yield Sessions(line, classic, connect)
    if connect is not None:
        connect.stop()
    classic.stop()


@pytest.fixture(scope="session")
def mock_api() -> Iterator[MockApi]:
    # A short event feed for the streaming check: 120 events, one per 2 ms.
    with MockApi(event_rate=500, event_max=120) as api:
        yield api
