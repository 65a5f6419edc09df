"""A tqdm-like progress object drawn with rich on stderr (only when stderr is a terminal)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RichProgress:
    """Implements the ``total`` / ``update(n)`` / ``close()`` protocol lupex functions accept."""

    def __init__(self, description: str) -> None:
        console = Console(file=sys.stderr)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not sys.stderr.isatty(),
        )
        self._task = self._progress.add_task(description, total=None)
        self._progress.start()

    @property
    def total(self) -> float | None:
        return self._progress.tasks[0].total

    @total.setter
    def total(self, value: float | None) -> None:
        self._progress.update(self._task, total=value)

    def update(self, n: float = 1) -> None:
        self._progress.advance(self._task, n)

    def set_description(self, text: str) -> None:
        self._progress.update(self._task, description=text)

    def close(self) -> None:
        self._progress.stop()

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any:
        self.close()
        return None
