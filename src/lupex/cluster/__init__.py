"""Scale-out on Dask: the ``--scheduler`` switch, tiled terrain products and task maps. See docs/scale-out.md."""

from lupex.cluster.scheduler import (
    MAX_LOCAL_WORKERS,
    Scheduler,
    SchedulerError,
    SchedulerSpec,
    executor_of,
    open_scheduler,
    parse_scheduler,
)

__all__ = [
    "MAX_LOCAL_WORKERS",
    "Scheduler",
    "SchedulerError",
    "SchedulerSpec",
    "executor_of",
    "open_scheduler",
    "parse_scheduler",
]
