"""Numbers the environment may set (``NEXUS_LOCK_TIMEOUT``, ``NEXUS_MAX_FILE_BYTES``,
``NEXUS_PROGRESS_DELAY``): read in one way, and a value that is not one is a usage error
naming the variable, never a Python error."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TypeVar

from .errors import UsageError

N = TypeVar("N", int, float)
DEFAULT_LOCK_TIMEOUT_S = 30.0  # NEXUS_LOCK_TIMEOUT: how long a writer waits for another


def number(name: str, default: N, *, read: Callable[[str], N], low: N, high: N, means: str) -> N:
    """The value of ``name`` (``default`` when unset or empty), within [low, high]."""
    text = os.environ.get(name, "")
    if not text:
        return default
    try:
        value = read(text)
    except ValueError:
        value = None
    if value is None or math.isnan(value) or not low <= value <= high:
        raise UsageError(
            f"{name} must be {means} from {_plain(low)} to {_plain(high)}, got {text!r}",
            hint=f"Unset it for the default ({_plain(default)}).",
        )
    return value


def _plain(value: float) -> str:
    """``86,400`` for 86400.0, ``1,073,741,824`` for 1 << 30."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,g}"


def lock_timeout() -> float:
    """Seconds a writer waits for another one (NEXUS_LOCK_TIMEOUT, default 30)."""
    return number(
        "NEXUS_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT_S, read=float, low=0.0, high=86400.0,
        means="a number of seconds",
    )  # fmt: skip
