"""When a task runs: its schedule as a grid of run slots, computed in the app's time zone.

Every worker computes the same slots for the same schedule, whenever it started: sub-day periods (seconds,
minutes, hours) are multiples of the period counted from the Unix epoch, days start at local midnight (or at the
``.at()`` time) counted from 1970-01-01, weeks on Monday (or the ``.on()`` day) counted from 1970-01-05. That is
what lets several workers agree on "the run of 12:05:00" and take it once between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import Enum

__all__ = ["UNITS", "Schedule", "WeekDay"]


class WeekDay(Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


DAY = 86400.0
UNITS: dict[str, float] = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": DAY, "weeks": 7 * DAY}
_EPOCH_DAY = date(1970, 1, 1)
_EPOCH_MONDAY = date(1970, 1, 5)
#: How late a run with an ``.at()`` time may start and still count as that run (the loop was busy, the app
#: started at 08:00:30 for an 08:00 run).
AT_GRACE = 60.0
_MAX_STEPS = 64


@dataclass(frozen=True, slots=True)
class Schedule:
    """Runs every ``every`` ``unit`` (``'seconds'`` … ``'weeks'``), at a time of day and/or on a weekday."""

    unit: str
    every: int = 1
    at: time | None = None
    on: WeekDay | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}")
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"every_{self.unit}() takes a whole number of at least 1, got {self.every!r}")
        if self.at is not None and not self.calendar:
            raise ValueError(
                f".at() sets a time of day, which a task that runs every {self.every} {self.unit} does not have: "
                "combine it with every_days() or every_weeks() (or use it alone, for once a day)."
            )
        if self.on is not None and not self.calendar and self.period > DAY:
            raise ValueError(f".on() with every_{self.unit}() needs a period of at most a day, not {self.period:g} s.")

    @property
    def calendar(self) -> bool:
        """Whether slots are calendar days (local midnight or ``.at()``), rather than multiples of a period."""
        return self.unit in ("days", "weeks")

    @property
    def period(self) -> float:
        return UNITS[self.unit] * self.every

    @property
    def grace(self) -> float:
        """How long after its start a slot is still "the current one" for a task that starts now: a task without a
        time of day runs at once (as upstream did), a task ``.on()`` a day runs on that day, an ``.at()`` task
        within its minute."""
        if self.at is not None:
            return AT_GRACE
        if self.on is not None and self.calendar:
            return DAY
        return self.period

    def describe(self) -> str:
        """The schedule in words; part of a task's default name, so the same in every worker."""
        text = f"every {self.every} {self.unit}"
        if self.at is not None:
            text += f" at {self.at.isoformat()}"
        if self.on is not None:
            text += f" on {self.on.name.lower()}"
        return text

    # --- Slots (Unix timestamps) ---------------------------------------------------------------------------------

    def first(self, now: float, tz: tzinfo) -> float:
        """The first slot of a task started at ``now``: the current one if still within its grace, else the next."""
        current = self.at_or_before(now, tz)
        if current is not None and now < current + self.grace:
            return current
        return self.after(now, tz)

    def next(self, previous: float, now: float, tz: tzinfo) -> float:
        """The slot after ``previous``; when a slow run made it pass already, the latest slot that passed (one late
        run instead of a burst of missed ones)."""
        following = self.after(previous, tz)
        if following > now:
            return following
        latest = self.at_or_before(now, tz)
        return following if latest is None else max(following, latest)

    def after(self, t: float, tz: tzinfo) -> float:
        """The first slot strictly after ``t``."""
        if self.calendar:
            day = datetime.fromtimestamp(t, tz).date()
            for k in range(self._span_days() + 2):
                slot = self._day_slot(day + timedelta(days=k), tz)
                if slot is not None and slot > t:
                    return slot
            raise AssertionError("no slot found")  # pragma: no cover - the span covers a full cycle
        p = self.period
        slot = (math.floor(t / p) + 1) * p
        for _ in range(_MAX_STEPS):
            local = datetime.fromtimestamp(slot, tz)
            if self.on is None or local.weekday() == self.on.value:
                return slot
            days = (self.on.value - local.weekday()) % 7
            start = datetime.combine(local.date() + timedelta(days=days), time(), tz).timestamp()
            slot = math.ceil(start / p) * p
        raise AssertionError("no slot found")  # pragma: no cover

    def at_or_before(self, t: float, tz: tzinfo) -> float | None:
        """The last slot at or before ``t`` (``None`` only if there is none since the epoch)."""
        if self.calendar:
            day = datetime.fromtimestamp(t, tz).date()
            for k in range(self._span_days() + 2):
                candidate = day - timedelta(days=k)
                if candidate < _EPOCH_DAY:
                    return None
                slot = self._day_slot(candidate, tz)
                if slot is not None and slot <= t:
                    return slot
            return None  # pragma: no cover
        p = self.period
        slot = math.floor(t / p) * p
        for _ in range(_MAX_STEPS):
            local = datetime.fromtimestamp(slot, tz)
            if self.on is None or local.weekday() == self.on.value:
                return slot
            days = (local.weekday() - self.on.value) % 7
            end = datetime.combine(local.date() - timedelta(days=days - 1), time(), tz).timestamp()
            slot = (math.ceil(end / p) - 1) * p  # the last grid point before the matching day ends
        return None  # pragma: no cover

    def _span_days(self) -> int:
        return 7 * self.every if self.unit == "weeks" or self.on is not None else self.every

    def _day_slot(self, day: date, tz: tzinfo) -> float | None:
        """The slot on ``day`` (a local date), or ``None`` if the schedule skips that day."""
        if self.unit == "weeks":
            if day.weekday() != (self.on or WeekDay.MONDAY).value or ((day - _EPOCH_MONDAY).days // 7) % self.every:
                return None
        elif (self.on is not None and day.weekday() != self.on.value) or (day - _EPOCH_DAY).days % self.every:
            return None
        return datetime.combine(day, self.at or time(), tz).timestamp()
