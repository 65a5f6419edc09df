"""Where work runs: one process (``threads``), a Dask ``LocalCluster`` lupex starts, or an existing Dask cluster.

The one switch of the ``--scheduler`` option and of a scenario's ``scheduler`` field:

- ``threads``: this process, as lupex has always run (numba threads inside each kernel);
- ``local:N``: a ``dask.distributed.LocalCluster`` of N worker processes (one thread each), started and closed by
  lupex;
- ``tcp://HOST:PORT``: an existing Dask scheduler (started by hand, by dask-jobqueue on SLURM/PBS or by the
  Dask Kubernetes operator); lupex connects, submits and disconnects, and never stops that cluster.

Dask is imported only when a cluster is used. Tasks are plain functions of picklable arguments; large read-only
inputs are sent to each worker once (``shared``) rather than with every task. See docs/scale-out.md.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from lupex.defaults import default
from lupex.errors import InputError, LupexError

__all__ = [
    "MAX_LOCAL_WORKERS",
    "Scheduler",
    "SchedulerError",
    "SchedulerSpec",
    "executor_of",
    "open_scheduler",
    "parse_scheduler",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: Most worker processes ``local:N`` starts on one machine.
MAX_LOCAL_WORKERS = 256
_ADDRESS = re.compile(r"(?P<proto>tcp|tls)://(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>\d{1,5})")


class SchedulerError(LupexError, ConnectionError):
    """A Dask scheduler cannot be reached, or the cluster lost a task for good."""


@dataclass(frozen=True)
class SchedulerSpec:
    """A parsed ``--scheduler`` value.

    Attributes
    ----------
    text : str
        As the user gave it (``threads``, ``local:4``, ``tcp://10.0.0.5:8786``).
    kind : {"threads", "local", "remote"}
    n_workers : int
        Worker processes of ``local:N`` (0 otherwise).
    address : str
        Scheduler address of ``remote`` ("" otherwise).
    """

    text: str
    kind: Literal["threads", "local", "remote"]
    n_workers: int = 0
    address: str = ""

    @property
    def distributed(self) -> bool:
        """True for a Dask cluster (``local:N`` or an address)."""
        return self.kind != "threads"


def parse_scheduler(text: str | SchedulerSpec, flag: str = "--scheduler") -> SchedulerSpec:
    """Parse ``threads``, ``local:N`` or ``tcp://HOST:PORT``; anything else is refused naming ``flag``.

    Raises
    ------
    InputError
        One line: what was given, what is accepted, how to fix it.
    """
    if isinstance(text, SchedulerSpec):
        return text
    value = str(text).strip()
    accepted = "use threads, local:N (N worker processes, e.g. local:4) or tcp://HOST:PORT of a running Dask scheduler"
    if value == "threads":
        return SchedulerSpec(value, "threads")
    if value.startswith("local:"):
        count = value[len("local:") :]
        if not count.isdigit():
            raise InputError(f"{flag} {value!r}: the worker count {count!r} is not a whole number; {accepted}")
        n = int(count)
        if not 1 <= n <= MAX_LOCAL_WORKERS:
            raise InputError(
                f"{flag} {value!r}: a local cluster needs 1 to {MAX_LOCAL_WORKERS} workers, not {n}; e.g. "
                f"local:{os.cpu_count() or 2} for one per core"
            )
        return SchedulerSpec(value, "local", n_workers=n)
    match = _ADDRESS.fullmatch(value)
    if match is not None:
        port = int(match.group("port"))
        if not 1 <= port <= 65535:
            raise InputError(f"{flag} {value!r}: port {port} is not 1-65535; Dask schedulers listen on 8786 by default")
        return SchedulerSpec(value, "remote", address=value)
    raise InputError(f"{flag} {value!r} is not accepted; {accepted}")


@dataclass
class Scheduler:
    """An open scheduler (from :func:`open_scheduler`).

    Attributes
    ----------
    spec : SchedulerSpec
    client : distributed.Client or None
        None for ``threads``.
    dashboard_link : str or None
        The cluster's dashboard URL, when it has one.
    n_workers : int
        Workers at start (1 for ``threads``).
    task_threads : int or None
        numba threads each task should use (``local:N`` shares this machine's cores; None: leave the default).
    """

    spec: SchedulerSpec
    client: Any = None
    dashboard_link: str | None = None
    n_workers: int = 1
    task_threads: int | None = None

    def executor(self) -> Executor | None:
        """A ``concurrent.futures.Executor`` on the cluster, or None for ``threads`` (run in this process)."""
        return None if self.client is None else self.client.get_executor(pure=False)

    def map_unordered(
        self,
        fn: Callable[..., R],
        items: Sequence[T],
        shared: dict[str, Any] | None = None,
        *,
        progress: Any = None,
    ) -> Iterator[tuple[int, R]]:
        """``fn(item, **shared)`` for every item, yielded as ``(index, result)`` in order of completion.

        ``shared`` values go to each worker once (broadcast), not with every task. With ``threads`` the items run
        one after another in this process. A task that raises re-raises here (the cluster retries a task whose
        worker died; :class:`SchedulerError` when it died too often).
        """
        kwargs = dict(shared or {})
        if progress is not None:
            progress.total = len(items)
        if self.client is None:
            for i, item in enumerate(items):
                result = fn(item, **kwargs)
                if progress is not None:
                    progress.update(1)
                yield i, result
            return
        yield from self._map_on_cluster(fn, items, kwargs, progress)

    def _map_on_cluster(
        self, fn: Callable[..., R], items: Sequence[T], kwargs: dict[str, Any], progress: Any
    ) -> Iterator[tuple[int, R]]:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        scattered = {k: self.client.scatter(v, broadcast=True, hash=False) for k, v in kwargs.items()}
        with warnings.catch_warnings():
            # the items travel inside the task graph on purpose: a task whose worker dies can then run again
            # elsewhere (data scattered to that worker would be lost with it)
            warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
            futures = self.client.map(fn, list(items), pure=False, **scattered)
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except KilledWorker as err:
                    raise SchedulerError(
                        f"{self.spec.text}: the workers running a task died too often ({err}); give each worker "
                        "more memory (fewer workers) or smaller tiles"
                    ) from None
                if progress is not None:
                    progress.update(1)
                yield index[future.key], result
                future.release()
        finally:
            for future in futures:
                future.cancel()


def executor_of(scheduler: Scheduler | None) -> Executor | None:
    """The cluster executor of an open ``scheduler``, or None for ``threads`` or no scheduler (run in this process)."""
    return None if scheduler is None else scheduler.executor()


def _local_cluster(spec: SchedulerSpec, memory_limit: str | float | None) -> tuple[Any, Any]:
    import dask
    from distributed import Client, LocalCluster

    # tasks are numba kernels that release the GIL: one thread per worker process, the cores shared by numba
    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = LocalCluster(
            n_workers=spec.n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit if memory_limit is not None else "auto",
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    return cluster, Client(cluster)


def _remote_client(spec: SchedulerSpec, connect_timeout_s: float) -> Any:
    from distributed import Client

    try:
        return Client(spec.address, timeout=connect_timeout_s)
    except (OSError, TimeoutError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SchedulerError(
            f"--scheduler {spec.address}: no Dask scheduler answered within {connect_timeout_s:g} s ({reason[:120]}); "
            "check the address and that `dask scheduler` runs there, or use --scheduler local:N"
        ) from None


@contextlib.contextmanager
def open_scheduler(
    spec: SchedulerSpec | str,
    *,
    connect_timeout_s: float | None = None,
    memory_limit: str | float | None = None,
) -> Iterator[Scheduler]:
    """Open the scheduler ``spec`` names for the duration of a ``with`` block.

    Parameters
    ----------
    spec : SchedulerSpec or str
        ``threads``, ``local:N`` or ``tcp://HOST:PORT`` (see :func:`parse_scheduler`).
    connect_timeout_s : float, optional
        How long to wait for an existing scheduler (default ``scheduler_connect_timeout_s``, 10 s). [s]
    memory_limit : str or float, optional
        Memory limit of each ``local:N`` worker (``"2GB"`` or bytes); default Dask's share of this machine's memory.
        Dask spills, pauses and finally restarts a worker that exceeds it.

    Raises
    ------
    SchedulerError
        No scheduler answered at the address within the timeout.
    """
    parsed = parse_scheduler(spec)
    timeout = default("scheduler_connect_timeout_s") if connect_timeout_s is None else float(connect_timeout_s)
    if not (math.isfinite(timeout) and timeout > 0):
        raise InputError(f"connect_timeout_s {connect_timeout_s!r} must be a positive number of seconds")
    if parsed.kind == "threads":
        yield Scheduler(parsed)
        return
    cluster = None
    if parsed.kind == "local":
        cores = os.cpu_count() or 1
        if parsed.n_workers > cores:
            log.warning("%d local workers on %d cores: they will share the cores", parsed.n_workers, cores)
        cluster, client = _local_cluster(parsed, memory_limit)
        threads = max(1, cores // parsed.n_workers)
    else:
        client = _remote_client(parsed, timeout)
        threads = None
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        link = getattr(client, "dashboard_link", None) if _has_dashboard(client) else None
        log.info("Dask scheduler %s: %d workers%s", parsed.text, workers, f", dashboard {link}" if link else "")
        yield Scheduler(parsed, client, link, max(workers, 1), threads)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _has_dashboard(client: Any) -> bool:
    """Whether the scheduler serves a dashboard (it needs bokeh)."""
    try:
        return "dashboard" in client.scheduler_info().get("services", {})
    except Exception:  # a scheduler that does not say
        return False
