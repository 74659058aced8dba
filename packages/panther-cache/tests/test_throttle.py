"""``Throttle`` itself: its checks, aligned windows, and the arithmetic of allowing and of ``Retry-After``."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from panther.exceptions import PantherError
from panther.throttling import Throttle
from panther.throttling.counters import MemoryCounter
from panther.throttling.throttle import decide, retry_after


@pytest.mark.parametrize(
    ("rate", "duration"),
    [
        (0, timedelta(seconds=1)),
        (-1, timedelta(seconds=1)),
        (True, timedelta(seconds=1)),
        (1.5, timedelta(seconds=1)),
        (1, timedelta(0)),
        (1, timedelta(seconds=-5)),
        (1, 60),
    ],
)
def test_bad_throttles_are_refused_when_declared(rate, duration) -> None:
    with pytest.raises(PantherError, match="Throttle"):
        Throttle(rate, duration)


def test_time_window_is_the_start_of_the_current_window_in_utc() -> None:
    window = Throttle(1, timedelta(minutes=10)).time_window
    now = datetime.now(UTC)
    assert window.tzinfo is not None
    assert window.minute % 10 == 0 and window.second == 0 and window.microsecond == 0
    assert timedelta(0) <= now - window < timedelta(minutes=10)


def test_fixed_window_retry_after_is_the_time_left_in_the_window_and_never_exceeds_it() -> None:
    rng = random.Random(1)
    for _ in range(2000):
        seconds = rng.choice([1, 2.5, 10, 60, 600, 3600, 86_400])
        rate = rng.randint(1, 50)
        window = rng.randint(1, 10**6)
        now = window * seconds + rng.uniform(0, seconds * 0.999999)
        wait = retry_after(rate, 0, rate, now, seconds, window, sliding=False)
        assert wait == max(1, math.ceil((window + 1) * seconds - now))
        assert 1 <= wait <= max(1, math.ceil(seconds))


def test_fixed_window_allows_exactly_rate() -> None:
    assert [decide(count, 0, 3, 0.5, 1, 0, sliding=False) for count in range(5)] == [True, True, True, False, False]


def test_sliding_window_weighs_the_previous_window_by_what_is_left_of_it() -> None:
    # 60 s windows, rate 10, 8 requests in the previous window.
    seconds, rate, window = 60.0, 10, 100
    start = window * seconds
    # At the very start the previous window counts in full: 8 + 2 more fit, not 3.
    assert decide(1, 8, rate, start, seconds, window, sliding=True)
    assert not decide(2, 8, rate, start, seconds, window, sliding=True)
    # Three quarters in, it weighs 8 / 4 = 2: 8 of this window's fit.
    assert decide(7, 8, rate, start + 45, seconds, window, sliding=True)
    assert not decide(8, 8, rate, start + 45, seconds, window, sliding=True)


def allowed_at(t: float, count: int, previous: int, rate: int, seconds: float, window: int) -> bool:
    """Whether a request at ``t`` fits, given the counts of ``window`` (which becomes the previous one later)."""
    later_window = int(t // seconds)
    if later_window == window:
        return decide(count, previous, rate, t, seconds, window, sliding=True)
    if later_window == window + 1:
        return decide(0, count, rate, t, seconds, later_window, sliding=True)
    return True


def test_sliding_retry_after_is_when_the_request_would_be_allowed() -> None:
    """Replays a refused request ``retry_after`` seconds later (with the counters the window then has) and checks
    it is allowed there, and refused one second earlier (the wait is the shortest in whole seconds)."""
    rng = random.Random(2)
    checked = 0
    for _ in range(5000):
        seconds = rng.choice([1.0, 10.0, 60.0, 3600.0])
        rate = rng.randint(1, 20)
        window = 1000
        now = window * seconds + rng.uniform(0, seconds * 0.999)
        count = rng.randint(0, rate)
        previous = rng.randint(0, rate)
        if decide(count, previous, rate, now, seconds, window, sliding=True):
            continue
        checked += 1
        wait = retry_after(count, previous, rate, now, seconds, window, sliding=True)
        assert wait >= 1
        # Bounded by the window plus one request interval (the whole allowance spent right at the window start).
        assert wait <= math.ceil(seconds + seconds / rate) + 1

        state = (count, previous, rate, seconds, window)
        assert allowed_at(now + wait + 1e-6, *state)
        if wait > 1:
            assert not allowed_at(now + wait - 1 - 1e-6, *state)
    assert checked > 1000


class TestMemoryCounter:
    def test_old_windows_are_dropped_whole(self) -> None:
        counter = MemoryCounter(Throttle(5, timedelta(seconds=10)), max_clients=1000)
        for client in range(100):
            counter.hit(f"c{client}", 1000.0)
        assert len(counter) == 100
        counter.hit("x", 1010.0)  # next window: the old one is kept as "previous" only
        assert len(counter.current) == 1 and len(counter.previous) == 100
        counter.hit("x", 1020.0)
        assert len(counter) == 2  # two windows later nothing of the first is left
        counter.hit("x", 1100.0)  # a gap of several windows drops the previous one too
        assert counter.current == {"x": 1} and counter.previous == {}

    def test_many_clients_stay_bounded_and_cheap(self) -> None:
        counter = MemoryCounter(Throttle(1, timedelta(seconds=10)), max_clients=1000)
        for client in range(50_000):  # quadratic eviction would take minutes here
            counter.hit(f"c{client}", 1000.0)
        assert len(counter.current) <= 1000
        assert counter.hit("c49999", 1000.0) == -1  # the latest are still counted

    def test_clients_per_window_are_bounded_forgetting_the_first_seen(self) -> None:
        counter = MemoryCounter(Throttle(1, timedelta(seconds=10)), max_clients=3)
        for client in "abcde":
            assert counter.hit(client, 1000.0) == 0
        assert len(counter.current) == 3
        assert list(counter.current) == ["c", "d", "e"]
        assert counter.hit("e", 1000.0) == -1  # the ones still counted are still limited
        assert counter.hit("a", 1000.0) == 0  # "a" was forgotten

    def test_refused_requests_are_not_counted(self) -> None:
        counter = MemoryCounter(Throttle(2, timedelta(seconds=10)), max_clients=10)
        assert [counter.hit("a", 1000.0) for _ in range(5)] == [1, 0, -1, -1, -1]
        assert counter.current == {"a": 2}

    @pytest.mark.parametrize("sliding", [False, True])
    def test_a_window_ends_exactly_at_its_boundary(self, sliding) -> None:
        counter = MemoryCounter(Throttle(1, timedelta(seconds=10), sliding=sliding), max_clients=10)
        assert counter.hit("a", 1000.0) == 0
        assert counter.hit("a", 1009.999) == -1
        assert counter.reset == 1010
        remaining = counter.hit("a", 1010.0)  # the next window: fixed starts afresh, sliding still weighs the last
        assert (remaining, counter.reset) == ((-1, 1020) if sliding else (0, 1020))
        assert counter.hit("b", 1010.0) == 0 and counter.previous == {"a": 1}

    def test_a_window_end_rounded_down_does_not_start_the_window_again(self) -> None:
        counter = MemoryCounter(Throttle(2, timedelta(milliseconds=100)), max_clients=10)
        # Window 4 is [0.4, 0.5) computed as 4 * 0.1 and 5 * 0.1; yet 0.5 // 0.1 is 4.0: at 0.5 the clock is past
        # the window's computed end and still in window 4 by division. Its counts must stay.
        assert counter.hit("a", 0.45) == 1
        assert counter.hit("a", 0.5) == 0
        assert counter.hit("a", 0.5) == -1

    def test_a_clock_stepping_back_keeps_counting_in_the_newest_window(self) -> None:
        counter = MemoryCounter(Throttle(2, timedelta(seconds=10)), max_clients=10)
        assert counter.hit("a", 1015.0) == 1
        assert counter.decision("a", 1009.0) == (True, 0, 1020, 0)
        assert counter.decision("a", 1009.0) == (False, 0, 1020, 11)
