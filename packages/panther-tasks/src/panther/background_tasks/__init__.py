"""Background tasks for Panther (distribution ``panther-tasks``, plugin ``tasks``).

``BACKGROUND_TASKS = True`` in an app's configs turns its scheduler on; ``BackgroundTask(func, *args).submit()``
runs ``func`` in the background of the current app, once or on a schedule. See the package's README.
"""

from panther.background_tasks.schedule import WeekDay
from panther.background_tasks.scheduler import BackgroundTaskError, BackgroundTasks
from panther.background_tasks.task import BackgroundTask

__all__ = ["BackgroundTask", "BackgroundTaskError", "BackgroundTasks", "WeekDay"]
