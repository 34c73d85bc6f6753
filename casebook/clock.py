"""Time: the one place that reads the wall clock, and the hybrid logical clock (HLC).

An HLC timestamp is one integer: ``wall_ms << 16 | counter``. It never goes backwards on a
device, and it moves past every timestamp the device has received, so a laptop whose wall
clock is a day behind still orders its new ops after what it has seen.

``CASEBOOK_CLOCK_OFFSET`` (seconds, may be negative) shifts this process's wall clock. It
exists so that tests and drills can run laptops with skewed clocks; it changes no rule.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from datetime import UTC, datetime, timedelta

COUNTER_BITS = 16
COUNTER_MASK = (1 << COUNTER_BITS) - 1


def wall_ms() -> int:
    """Milliseconds since the epoch, shifted by ``CASEBOOK_CLOCK_OFFSET`` when set."""
    offset = float(os.environ.get("CASEBOOK_CLOCK_OFFSET", "0") or 0)
    return int(time.time() * 1000 + offset * 1000)


def monotonic_ms() -> float:
    """Milliseconds on a clock that only moves forward, for measuring how long something ran
    (never for a date: its origin is arbitrary)."""
    return time.perf_counter() * 1000


def now() -> datetime:
    """The current time as an aware datetime in the local time zone."""
    return datetime.fromtimestamp(wall_ms() / 1000, UTC).astimezone()


def hlc_wall_ms(hlc: int) -> int:
    return hlc >> COUNTER_BITS


def hlc_datetime(hlc: int) -> datetime:
    """The wall-clock part of an HLC timestamp as an aware local datetime."""
    return datetime.fromtimestamp(hlc_wall_ms(hlc) / 1000, UTC).astimezone()


class HybridClock:
    """A hybrid logical clock. Thread-safe; ``last`` is persisted by the caller."""

    def __init__(self, last: int = 0) -> None:
        self.last = last
        self._lock = threading.Lock()

    def tick(self) -> int:
        """A new timestamp for a local event, greater than every earlier one."""
        with self._lock:
            candidate = wall_ms() << COUNTER_BITS
            self.last = candidate if candidate > self.last else self.last + 1
            return self.last

    def observe(self, remote: int) -> None:
        """Move past a timestamp received from another device."""
        with self._lock:
            if remote > self.last:
                self.last = remote


def hlc_of(moment: datetime) -> int:
    """The smallest HLC timestamp at ``moment`` (counter 0): for range queries on HLC columns."""
    return int(moment.timestamp() * 1000) << COUNTER_BITS


def format_hlc(hlc: int) -> str:
    """The wall-clock part of an HLC timestamp as ISO 8601 text (see :func:`format_datetime`)."""
    # Every case read formats two stamps per entry, so the text of each second is kept; the
    # zone is part of the key because the process may change it (``time.tzset``).
    return _format_second(hlc_wall_ms(hlc) // 1000, time.tzname)


@functools.lru_cache(maxsize=65536)
def _format_second(second: int, zone: tuple[str, str]) -> str:
    return format_datetime(datetime.fromtimestamp(second, UTC))


def parse_datetime(text: str | datetime | None, *, end_of_day: bool = False) -> datetime | None:
    """Parse an ISO 8601 date or datetime; naive values are local time.

    >>> parse_datetime("2025-03-01").isoformat()[:10]
    '2025-03-01'

    :param end_of_day: for a bare date, return 23:59:59.999 instead of midnight.
    :raises ValueError: when the text is not an ISO 8601 date or datetime.
    """
    if text is None or text == "":
        return None
    if isinstance(text, datetime):
        value = text
    else:
        raw = str(text).strip().replace("Z", "+00:00")
        value = datetime.fromisoformat(raw)
        if end_of_day and len(raw) == 10:
            value = value + timedelta(days=1) - timedelta(milliseconds=1)
    if value.tzinfo is None:
        value = value.astimezone()
    return value


def format_datetime(value: datetime) -> str:
    """ISO 8601 with the offset, to the second."""
    return value.astimezone().isoformat(timespec="seconds")
