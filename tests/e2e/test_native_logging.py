"""The engine's log lines go through the JVM's logging (log4j) under io.sparkrest.native:
the session's level (setLogLevel("WARN") in conftest) hides its info lines, log4j's level
for io.sparkrest.native shows them, and the engine writes nothing to stderr by itself."""

from __future__ import annotations

import pytest
from native_logging import check_native_log_lines_follow_log4j
from pyspark.sql import SparkSession

from mockapi import MockApi


def test_native_log_lines_follow_log4j(
    spark: SparkSession, mock_api: MockApi, capfd: pytest.CaptureFixture[str]
) -> None:
    check_native_log_lines_follow_log4j(spark, mock_api.url, capfd)
