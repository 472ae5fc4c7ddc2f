"""Unit tests of the spark_rest shim: pure Python, no JVM, no network."""

from __future__ import annotations

import sys
from pathlib import Path

# Test the source tree, not an installed wheel.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
