"""The Py4J glue of rest_api_call, against a stand-in for the JVM (no Spark started)."""

from __future__ import annotations

from typing import Any

import pytest

from spark_rest._api import _java_dataframe, call_scala_api, rest_api_call


class _HashMap(dict):  # what jvm.java.util.HashMap() returns, minus Py4J
    def put(self, key: str, value: str) -> None:
        self[key] = value


def _fake_jvm(calls: list[tuple[Any, ...]]) -> Any:
    from py4j.java_gateway import JavaClass

    class FakeRestApi(JavaClass):
        def __init__(self) -> None:  # no gateway needed
            pass

        def call(self, jdf: Any, url: str, options: Any) -> str:
            calls.append((jdf, url, dict(options)))
            return "result-jdf"

    class Node:
        pass

    jvm = Node()
    jvm.java = Node()
    jvm.java.util = Node()
    jvm.java.util.HashMap = _HashMap
    jvm.io = Node()
    jvm.io.sparkrest = Node()
    jvm.io.sparkrest.RestApi = FakeRestApi()
    return jvm


def test_call_scala_api_passes_url_and_string_map() -> None:
    calls: list[tuple[Any, ...]] = []
    jvm = _fake_jvm(calls)
    out = call_scala_api(jvm, "jdf", "http://h/c/{id}", {"concurrency": "8", "cache": "false"})
    assert out == "result-jdf"
    assert calls == [("jdf", "http://h/c/{id}", {"concurrency": "8", "cache": "false"})]


def test_missing_jar_is_a_clear_error() -> None:
    class Package:  # what Py4J returns for an unknown class: a package, not a class
        def __getattr__(self, name: str) -> Package:
            return Package()

    with pytest.raises(RuntimeError, match="with_spark_rest"):
        call_scala_api(Package(), "jdf", "http://h/", {})


def test_dataframe_without_jvm_is_rejected() -> None:
    class ConnectLike:
        @property
        def _jdf(self) -> Any:
            raise AttributeError("not on Spark Connect")

    with pytest.raises(TypeError, match="Spark Connect"):
        _java_dataframe(ConnectLike())  # type: ignore[arg-type]


def test_url_is_required() -> None:
    with pytest.raises(TypeError, match="url"):
        rest_api_call(object(), "")  # type: ignore[arg-type]
