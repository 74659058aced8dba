"""The scheduled-task example, on a manual clock: an hour passes in milliseconds."""

from examples.tasks.main import app
from panther.background_tasks import BackgroundTasks
from panther.background_tasks.clock import ManualClock
from panther.test import APIClient


async def test_visits_are_rolled_up_every_minute():
    app.state.visits, app.state.report = 0, []
    clock = ManualClock(start=1_900_000_000.0)  # set before startup: the scheduler then never sleeps for real
    BackgroundTasks.of(app).clock = clock
    async with APIClient(app) as client:  # startup: the task runs at once for the current minute
        await clock.advance(0)
        assert [entry["visits"] for entry in app.state.report] == [0]
        for _ in range(3):
            await client.get("/visit/")
        await clock.advance(60)
        await client.get("/visit/")
        await clock.advance(120)
        report = (await client.get("/report/")).data
    assert [entry["visits"] for entry in report] == [0, 3, 1, 0]
