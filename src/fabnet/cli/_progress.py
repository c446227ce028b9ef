"""Progress of a pipeline on standard error: a spinner line or a bar (nothing with ``--json``).

Each helper is a context manager giving the ``progress(fraction, message)`` callback a pipeline
takes, or ``None`` when nothing is to be shown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from fabnet.cli._common import err_console

__all__ = ["progress_bar", "progress_status"]

Callback = Callable[[float, str], None]


@contextlib.contextmanager
def progress_status(show: bool, title: str) -> Iterator[Callback | None]:
    """A spinner whose line reads ``[ 42%] message``."""
    if not show:
        yield None
        return
    with err_console.status(title) as status:

        def progress(fraction: float, message: str) -> None:
            status.update(f"[{fraction:4.0%}] {message}")

        yield progress


@contextlib.contextmanager
def progress_bar(show: bool, title: str) -> Iterator[Callback | None]:
    """A bar with the current stage's message, the share done and the time remaining."""
    if not show:
        yield None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    columns = ("[progress.description]{task.description}", BarColumn(), TaskProgressColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err_console) as bar:
        task = bar.add_task(title, total=1.0)

        def progress(fraction: float, message: str) -> None:
            bar.update(task, completed=fraction, description=message)

        yield progress
