"""Conversion of Python keyword arguments into spark-rest option strings.

The JVM side takes a ``Map[String, String]``; this module turns what Python users
naturally write (``max_retries=0``, ``cache=False``, ``headers={"X-Tenant": "a"}``)
into exactly that map. Validation of names and values is left to the JVM, which
fails at analysis time with a message naming the option, so that every surface
(Scala, SQL, Python) reports errors identically.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["build_options", "option_name", "option_value"]

# snake_case identifiers such as ``rate_limit`` or ``oauth2_token_url``. Anything else
# (camelCase, ``header.X-Foo``, names with leading underscores) is kept untouched.
_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def option_name(name: str) -> str:
    """Return the canonical (camelCase) option name for ``name``.

    ``rate_limit`` becomes ``rateLimit`` and ``cache_ttl_seconds`` becomes
    ``cacheTtlSeconds``; camelCase names and dotted names such as ``header.X-Foo``
    are returned unchanged.
    """
    if not _SNAKE_CASE.match(name):
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def option_value(name: str, value: Any) -> str:
    """Convert one option value to the string the JVM expects.

    * ``bool`` -> ``"true"`` / ``"false"``
    * ``list`` / ``tuple`` / ``set`` of scalars -> comma-separated
      (``retry_on_status=[429, 503]`` -> ``"429,503"``; sets sorted)
    * ``dict``, or a sequence holding dicts or sequences -> compact JSON
      (``headers={...}``, ``input_data=[{"id": 1}]``)
    * a PySpark ``StructType`` -> DDL (for ``schema``; output fields are always nullable)
    * ``os.PathLike`` -> its path string (e.g. ``cache_dir``)
    * anything else -> ``str(value)``
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return _json(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        if any(isinstance(item, (dict, list, tuple, set, frozenset)) for item in items):
            return _json(items)
        return ",".join(option_value(name, item) for item in items)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    ddl = _struct_type_ddl(value)
    if ddl is not None:
        return ddl
    if isinstance(value, bytes):
        raise TypeError(f"option {name!r}: bytes are not supported, pass a str")
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def build_options(options: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, str]:
    """Merge ``options`` and ``kwargs`` into one ``{camelCaseName: string}`` dict.

    Options whose value is ``None`` are left out (the engine default applies).
    Giving the same option twice (e.g. ``max_retries`` and ``maxRetries``) raises
    ``ValueError``.
    """
    result: dict[str, str] = {}
    origin: dict[str, str] = {}
    items = list((options or {}).items()) + list(kwargs.items())
    for raw_name, value in items:
        if not isinstance(raw_name, str) or not raw_name:
            raise TypeError(f"option names must be non-empty strings, got {raw_name!r}")
        name = option_name(raw_name)
        if name in origin:
            raise ValueError(f"option {name!r} given twice (as {origin[name]!r} and {raw_name!r})")
        origin[name] = raw_name
        if value is None:
            continue
        result[name] = option_value(name, value)
    return result


def _struct_type_ddl(value: Any) -> str | None:
    """Return a DDL string for a PySpark ``StructType``, or ``None`` for other values."""
    try:
        from pyspark.sql.types import StructType
    except ImportError:  # pragma: no cover - pyspark is always present at runtime
        return None
    if not isinstance(value, StructType):
        return None
    return ", ".join(f"{_quote(field.name)} {_ddl_type(field.dataType)}" for field in value.fields)


def _ddl_type(data_type: Any) -> str:
    """DDL of a Spark type; nested field names are quoted (``struct<`x-id`: int>``)."""
    from pyspark.sql.types import ArrayType, MapType, StructType

    if isinstance(data_type, StructType):
        fields = ", ".join(f"{_quote(f.name)}: {_ddl_type(f.dataType)}" for f in data_type.fields)
        return f"struct<{fields}>"
    if isinstance(data_type, ArrayType):
        return f"array<{_ddl_type(data_type.elementType)}>"
    if isinstance(data_type, MapType):
        return f"map<{_ddl_type(data_type.keyType)}, {_ddl_type(data_type.valueType)}>"
    return str(data_type.simpleString())


def _quote(name: str) -> str:
    """A field name as a DDL identifier."""
    return "`" + name.replace("`", "``") + "`"
