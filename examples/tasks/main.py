"""A scheduled task: every minute, the visits counted since the last run are rolled up into a report.

Run from the repository root: ``panther run examples.tasks.main:app`` (needs panther-core and panther-tasks).
With ``REDIS`` set, a scheduled run happens once across all workers instead of once per worker; this example keeps
its counts in the worker's memory, so run it with one worker.
"""

from panther import Panther
from panther.app import API
from panther.background_tasks import BackgroundTask
from panther.context import current_app
from panther.utils import timezone_now

BACKGROUND_TASKS = True


async def roll_up_visits() -> None:
    """Runs on the app's event loop, never overlapping with itself."""
    state = current_app().state
    state.report.append({"at": timezone_now().isoformat(), "visits": state.visits})
    state.visits = 0


@API()
async def visit():
    state = current_app().state
    state.visits += 1
    return {"visits_this_minute": state.visits}


@API()
async def report():
    return current_app().state.report[-60:]  # the last hour


urls = {"visit/": visit, "report/": report}

app = Panther(__name__, configs=__name__, urls=urls)
app.state.visits = 0
app.state.report = []

# Submitted while no request is served: the app's standing schedule, started at every startup.
BackgroundTask(roll_up_visits).every_minutes(1).interval(-1).submit(app=app)
