"""Schedules as slot grids: the same slots in every worker, in the app's time zone, without drift."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from panther.background_tasks import BackgroundTask, WeekDay
from panther.background_tasks.schedule import AT_GRACE, Schedule

UTC = ZoneInfo("UTC")
TEHRAN = ZoneInfo("Asia/Tehran")  # +03:30, no DST
BERLIN = ZoneInfo("Europe/Berlin")


def ts(text: str, tz: dt.tzinfo = UTC) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def local(t: float, tz: dt.tzinfo = UTC) -> str:
    return dt.datetime.fromtimestamp(t, tz).replace(tzinfo=None).isoformat()


def slots(schedule: Schedule, start: float, count: int, tz: dt.tzinfo = UTC) -> list[str]:
    result, t = [], schedule.first(start, tz)
    for _ in range(count):
        result.append(local(t, tz))
        t = schedule.after(t, tz)
    return result


def test_sub_day_periods_are_multiples_of_the_period_whenever_the_worker_started() -> None:
    every_5s = Schedule("seconds", 5)
    # Two workers started 2 s apart agree on the slots: the current one, then the grid.
    assert slots(every_5s, ts("2030-01-01T12:00:03"), 3) == [
        "2030-01-01T12:00:00",
        "2030-01-01T12:00:05",
        "2030-01-01T12:00:10",
    ]
    assert slots(every_5s, ts("2030-01-01T12:00:04.9"), 1) == ["2030-01-01T12:00:00"]
    assert slots(Schedule("minutes", 15), ts("2030-01-01T12:07:00"), 2) == [
        "2030-01-01T12:00:00",
        "2030-01-01T12:15:00",
    ]


def test_days_start_at_local_midnight_or_at_the_time_given() -> None:
    daily_8 = Schedule("days", 1, at=dt.time(8))
    # Started after 08:00:59, today's run is missed: the next is tomorrow at 08:00 Tehran time.
    assert slots(daily_8, ts("2030-01-01T09:00:00", TEHRAN), 2, TEHRAN) == [
        "2030-01-02T08:00:00",
        "2030-01-03T08:00:00",
    ]
    assert local(daily_8.after(ts("2030-01-01T09:00:00", TEHRAN), TEHRAN), UTC) == "2030-01-02T04:30:00"
    every_2_days = Schedule("days", 2)
    first = slots(every_2_days, ts("2030-01-02T10:00:00"), 3)
    assert [d[11:] for d in first] == ["00:00:00"] * 3
    assert {dt.date.fromisoformat(d[:10]).toordinal() % 2 for d in first} == {
        dt.date.fromisoformat(first[0][:10]).toordinal() % 2
    }


def test_at_time_fires_within_its_minute_even_when_the_loop_was_late() -> None:
    daily_8 = Schedule("days", 1, at=dt.time(8))
    assert local(daily_8.first(ts("2030-01-01T08:00:30"), UTC)) == "2030-01-01T08:00:00"
    assert local(daily_8.first(ts("2030-01-01T08:00:00") + AT_GRACE, UTC)) == "2030-01-02T08:00:00"
    assert local(daily_8.first(ts("2030-01-01T07:59:59"), UTC)) == "2030-01-01T08:00:00"


def test_weekdays() -> None:
    mondays_9 = Schedule("weeks", 1, at=dt.time(9), on=WeekDay.MONDAY)
    assert slots(mondays_9, ts("2030-01-02T00:00:00"), 2) == ["2030-01-07T09:00:00", "2030-01-14T09:00:00"]
    # .on() alone means weekly: on that day, at once if it is that day (as upstream ran it).
    fridays = BackgroundTask(print).on(WeekDay.FRIDAY).schedule
    assert slots(fridays, ts("2030-01-04T15:00:00"), 2) == ["2030-01-04T00:00:00", "2030-01-11T00:00:00"]
    assert slots(fridays, ts("2030-01-05T15:00:00"), 1) == ["2030-01-11T00:00:00"]
    every_other_week = Schedule("weeks", 2, on=WeekDay.WEDNESDAY)
    first, second = (dt.date.fromisoformat(d[:10]) for d in slots(every_other_week, ts("2030-01-01T00:00:00"), 2))
    assert first.weekday() == second.weekday() == 2 and (second - first).days == 14
    # A weekday filter on an hourly schedule: every hour of Tuesdays only.
    tuesday_hours = Schedule("hours", 1, on=WeekDay.TUESDAY)
    assert slots(tuesday_hours, ts("2030-01-07T22:30:00"), 3) == [
        "2030-01-08T00:00:00",
        "2030-01-08T01:00:00",
        "2030-01-08T02:00:00",
    ]
    assert local(tuesday_hours.after(ts("2030-01-08T23:00:00"), UTC)) == "2030-01-15T00:00:00"
    assert local(tuesday_hours.at_or_before(ts("2030-01-10T12:00:00"), UTC) or 0) == "2030-01-08T23:00:00"


def test_slow_run_delays_the_next_run_without_a_burst_of_missed_ones() -> None:
    every_5s = Schedule("seconds", 5)
    start = ts("2030-01-01T12:00:00")
    assert every_5s.next(start, start + 1, UTC) == start + 5  # on time
    # The run of 12:00:00 took 17 s: the next run is the latest slot that passed (12:00:15), run late, once.
    assert every_5s.next(start, start + 17, UTC) == start + 15
    assert every_5s.next(start + 15, start + 17, UTC) == start + 20


def test_local_days_follow_daylight_saving_time() -> None:
    daily_3 = Schedule("days", 1, at=dt.time(3))
    runs = slots(daily_3, ts("2030-03-30T12:00:00", BERLIN), 3, BERLIN)
    assert runs == ["2030-03-31T03:00:00", "2030-04-01T03:00:00", "2030-04-02T03:00:00"]
    utc_runs = [local(ts(r, BERLIN)) for r in runs]
    assert utc_runs == ["2030-03-31T01:00:00", "2030-04-01T01:00:00", "2030-04-02T01:00:00"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: BackgroundTask(print).every_seconds(5).at(dt.time(8)).schedule, "time of day"),
        (lambda: BackgroundTask(print).every_hours(48).on(WeekDay.MONDAY).schedule, "at most a day"),
        (lambda: BackgroundTask(print).every_minutes(0), "at least 1"),
        (lambda: BackgroundTask(print).interval(0), "-1 for forever"),
        (lambda: BackgroundTask(print).interval(-2), "-1 for forever"),
        (lambda: BackgroundTask(print).at(dt.time(8, tzinfo=UTC)), "TIMEZONE"),
    ],
)
def test_schedules_that_cannot_be_honoured_are_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_bad_argument_types() -> None:
    with pytest.raises(TypeError):
        BackgroundTask(print).at("08:00")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        BackgroundTask(print).on(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        BackgroundTask("not a function")  # type: ignore[arg-type]
    assert BackgroundTask(print).on("sunday").schedule.on is WeekDay.SUNDAY


def cleanup() -> None: ...


def test_names_are_the_same_in_every_worker() -> None:
    task = BackgroundTask(cleanup).every_minutes(5).interval(-1)
    assert task.name == f"{__name__}.cleanup every 5 minutes"
    assert (
        BackgroundTask(cleanup)
        .every_days()
        .at(dt.time(8, 30))
        .on(WeekDay.MONDAY)
        .name.endswith("cleanup every 1 days at 08:30:00 on monday")
    )
    assert BackgroundTask(cleanup).name == f"{__name__}.cleanup" and BackgroundTask(cleanup).one_off
    assert BackgroundTask(cleanup).named("nightly").every_days().name == "nightly"
    assert not BackgroundTask(cleanup).interval(2).one_off
    assert repr(BackgroundTask(cleanup).interval(-1).every_seconds()) == (
        f"<BackgroundTask '{__name__}.cleanup every 1 seconds' (forever)>"
    )
