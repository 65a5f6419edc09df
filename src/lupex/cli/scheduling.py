"""The ``--scheduler`` option of ``lupex illumination map``, ``sites``, ``run``, ``ops montecarlo`` and ``sweep``."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from lupex.cluster import Scheduler, SchedulerSpec, open_scheduler, parse_scheduler

__all__ = ["SchedulerOpt", "cli_scheduler", "parse_scheduler_option"]

SchedulerOpt = Annotated[
    str,
    typer.Option(
        "--scheduler",
        help="Where work runs: threads (this process), local:N (a Dask LocalCluster of N workers) or "
        "tcp://HOST:PORT (a running Dask scheduler).",
    ),
]


def parse_scheduler_option(text: str) -> SchedulerSpec:
    """Parse ``--scheduler`` (one-line ``InputError`` naming the flag); call it before any long work."""
    return parse_scheduler(text, "--scheduler")


@contextlib.contextmanager
def cli_scheduler(spec: SchedulerSpec) -> Iterator[Scheduler]:
    """Open ``spec`` for a command; the cluster's dashboard link goes to stderr as one line, and Dask's own log
    lines are kept to warnings so that stderr stays readable."""
    if spec.distributed:
        import distributed  # noqa: F401  (its import configures its loggers: set the levels after it)

        for name in ("distributed", "bokeh", "tornado"):
            logging.getLogger(name).setLevel(logging.ERROR)
    with open_scheduler(spec) as sched:
        if sched.dashboard_link:
            sys.stderr.write(f"lupex: Dask dashboard: {sched.dashboard_link}\n")
        yield sched
