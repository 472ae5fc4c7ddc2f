"""The engine's log lines go through the JVM's logging (log4j) under io.sparkrest.native:
setLogLevel("ERROR") hides its info lines, log4j's level for io.sparkrest.native shows them,
and the engine writes nothing to stderr by itself."""

from __future__ import annotations

from native_logging import check_native_log_lines_follow_log4j

from mockapi import MockApi


def test_native_log_lines_follow_log4j(mock_api: MockApi) -> None:
    check_native_log_lines_follow_log4j(mock_api.url)
