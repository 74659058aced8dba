"""``BackgroundTask``: a function, its arguments and its schedule, built with upstream's fluent API.

>>> BackgroundTask(send_report, "daily").every_days().at(datetime.time(8)).interval(-1).submit()
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from panther.background_tasks.schedule import Schedule, WeekDay

if TYPE_CHECKING:
    from panther.main import Panther

__all__ = ["BackgroundTask"]


class BackgroundTask:
    """A function to run in the background: once, right away (the default), or on a schedule.

    ``.interval(n)`` sets how many runs (``-1``: forever); ``.every_seconds/minutes/hours/days/weeks(n)`` the
    period (a minute when only ``.interval()`` is given); ``.at(time)`` a time of day in the app's ``TIMEZONE``;
    ``.on(WeekDay.X)`` a weekday; ``.named(name)`` the name workers share it under (see ``name``). ``.submit()``
    hands it to the scheduler of the current app.
    """

    __slots__ = ("_at", "_every", "_name", "_on", "_runs", "_unit", "args", "func", "is_async", "kwargs")

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if not callable(func):
            raise TypeError(f"BackgroundTask needs a function, got {func!r}")
        self.func = func
        #: Whether ``func`` is a coroutine function (run on the loop) rather than a plain one (run on a thread).
        self.is_async = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(type(func).__call__)
        self.args = args
        self.kwargs = kwargs
        self._runs = 1
        self._unit: str | None = None
        self._every = 1
        self._at: datetime.time | None = None
        self._on: WeekDay | None = None
        self._name: str | None = None

    # --- Fluent API (upstream's) ---------------------------------------------------------------------------------

    def interval(self, runs: int, /) -> Self:
        """Run ``runs`` times (``-1``: forever)."""
        if isinstance(runs, bool) or not isinstance(runs, int) or (runs < 1 and runs != -1):
            raise ValueError(f"interval() takes a number of runs of at least 1, or -1 for forever; got {runs!r}")
        self._runs = runs
        return self

    def every_seconds(self, seconds: int = 1, /) -> Self:
        return self._every_unit("seconds", seconds)

    def every_minutes(self, minutes: int = 1, /) -> Self:
        return self._every_unit("minutes", minutes)

    def every_hours(self, hours: int = 1, /) -> Self:
        return self._every_unit("hours", hours)

    def every_days(self, days: int = 1, /) -> Self:
        return self._every_unit("days", days)

    def every_weeks(self, weeks: int = 1, /) -> Self:
        return self._every_unit("weeks", weeks)

    def on(self, day: WeekDay | str, /) -> Self:
        """Run on this weekday (``WeekDay.MONDAY`` or ``'monday'``)."""
        if isinstance(day, str) and day.upper() in WeekDay.__members__:
            day = WeekDay[day.upper()]
        if not isinstance(day, WeekDay):
            raise TypeError(f"on() takes a WeekDay (e.g. WeekDay.MONDAY), got {day!r}")
        self._on = day
        return self

    def at(self, when: datetime.time | datetime.datetime, /) -> Self:
        """Run at this time of day, read in the app's ``TIMEZONE`` (a datetime gives its time)."""
        if isinstance(when, datetime.datetime):
            when = when.time()
        if not isinstance(when, datetime.time):
            raise TypeError(f"at() takes a datetime.time or datetime.datetime, got {type(when).__name__}")
        if when.tzinfo is not None:
            raise ValueError("at() takes a time without a time zone: it is read in the app's TIMEZONE setting.")
        self._at = when
        return self

    def named(self, name: str, /) -> Self:
        """Name the task (instead of its function and schedule): workers running the same name share its runs."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"named() takes a non-empty string, got {name!r}")
        self._name = name
        return self

    def submit(self, app: Panther | None = None) -> Self:
        """Hand the task to the scheduler of ``app`` — by default the current app: the one serving this request,
        running its lifespan or being built. Raises ``BackgroundTaskError`` when there is no app, its scheduler
        is off (``BACKGROUND_TASKS`` is not ``True``) or the app has shut down."""
        _scheduler.BackgroundTasks.of(app).add_task(self)
        return self

    # --- What the scheduler reads --------------------------------------------------------------------------------

    def _every_unit(self, unit: str, count: int) -> Self:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"every_{unit}() takes a whole number of at least 1, got {count!r}")
        self._unit, self._every = unit, count
        return self

    @property
    def runs(self) -> int:
        """How many runs are left to schedule (``-1``: forever)."""
        return self._runs

    @property
    def one_off(self) -> bool:
        """A single run with no schedule: it runs right away, in the worker that submitted it."""
        return self._runs == 1 and self._unit is None and self._at is None and self._on is None

    @property
    def explicitly_named(self) -> bool:
        return self._name is not None

    @property
    def schedule(self) -> Schedule:
        """The schedule; with ``.at()`` alone a task runs daily, with ``.on()`` alone weekly, else every minute."""
        unit = self._unit or ("days" if self._at is not None else "weeks" if self._on is not None else "minutes")
        return Schedule(unit, self._every, self._at, self._on)

    @property
    def name(self) -> str:
        """``named()``'s name, else the function's qualified name and the schedule, e.g.
        ``'app.jobs.cleanup every 5 minutes'``: the same in every worker that declares the same task."""
        if self._name is not None:
            return self._name
        func = self.func
        qualname = getattr(func, "__qualname__", None) or type(func).__qualname__
        module = getattr(func, "__module__", None) or type(func).__module__
        return f"{module}.{qualname}" if self.one_off else f"{module}.{qualname} {self.schedule.describe()}"

    def __repr__(self) -> str:
        runs = "forever" if self._runs == -1 else f"{self._runs} run{'s' * (self._runs != 1)}"
        return f"<BackgroundTask {self.name!r} ({runs})>"


# At the end: the scheduler module imports this one (circular, resolved once both are loaded).
from panther.background_tasks import scheduler as _scheduler  # noqa: E402
