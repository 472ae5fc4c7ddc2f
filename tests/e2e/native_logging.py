"""The check that the engine's log lines reach log4j and nothing else (shared by the full
suite's ``test_native_logging.py`` and every line's smoke)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from spark_rest import rest_api_call

CREATED = "spark-rest engine created"


def check_native_log_lines_follow_log4j(
    spark: Any, api_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """With the session's log level above INFO the engine's info line is nowhere on stderr;
    with log4j's level of ``io.sparkrest.native`` at INFO it is there, logged by the logger
    ``io.sparkrest.native.engine.registry``."""
    jvm = spark.sparkContext._jvm
    configurator = jvm.org.apache.logging.log4j.core.config.Configurator
    level = jvm.org.apache.logging.log4j.Level

    def new_engine() -> None:
        # a URL no engine had yet: the engine cache creates one, which logs at info
        url = f"{api_url}/customers/{{id}}?log={uuid.uuid4().hex}"
        rest_api_call(spark.range(1, 4), url=url).collect()
        time.sleep(2)  # the drain thread hands lines to log4j within ~0.5 s

    capfd.readouterr()
    new_engine()
    assert CREATED not in capfd.readouterr().err
    configurator.setLevel("io.sparkrest.native", level.INFO)
    try:
        new_engine()
        assert CREATED in capfd.readouterr().err
        context = jvm.org.apache.logging.log4j.LogManager.getContext(False)
        assert context.hasLogger("io.sparkrest.native.engine.registry")
    finally:
        configurator.setLevel("io.sparkrest.native", level.ERROR)
