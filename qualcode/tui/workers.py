"""Thread workers that fail politely: what every screen computing off the UI thread shares.

A screen starts a job with :meth:`Jobs.start` and passes the number it gets to its
``@work(thread=True, exclusive=True, exit_on_error=False)`` worker; the result comes back
through :meth:`Jobs.current`, which is false for a job a newer one replaced (a thread cannot
be stopped, so a stale result must be dropped, never shown over a newer one). An error in a
worker becomes a notification, never an exit: see :func:`notify_error`; so does an error in
an action or a dialog's callback: see :func:`reported`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from textual._context import active_app
from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from ..errors import QualcodeError
from .i18n import t

P = ParamSpec("P")
R = TypeVar("R")


def reported(method: Callable[P, R]) -> Callable[P, R | None]:
    """Run an action or dialog callback; a qualcode error becomes a notification, because a
    researcher should read what went wrong, not lose the workbench to a traceback."""

    @wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return method(*args, **kwargs)
        except QualcodeError as error:
            active_app.get().notify(str(error), title=error.title, severity="error", timeout=8)
            return None

    return run


class Jobs:
    """Numbers the jobs of each kind (a worker group), so a stale result can be told apart."""

    def __init__(self) -> None:
        self._latest: dict[str, int] = {}

    def start(self, group: str) -> int:
        """A new job of ``group``: its number, which makes every earlier one stale."""
        self._latest[group] = self._latest.get(group, 0) + 1
        return self._latest[group]

    def current(self, group: str, number: int) -> bool:
        """Whether job ``number`` of ``group`` is still the latest."""
        return self._latest.get(group) == number


def notify_error(node: DOMNode, event: Worker.StateChanged, lang: str) -> bool:
    """Show a failed worker's error as a notification on ``node``'s app; returns whether it
    did (the event was an error). A qualcode error speaks for itself; anything else is shown
    with its type, since it is a bug the researcher should be able to report."""
    if event.state != WorkerState.ERROR:
        return False
    error = event.worker.error
    if isinstance(error, QualcodeError):
        message, title = str(error), error.title
    else:
        message, title = f"{type(error).__name__}: {error}", t("notify.worker_failed", lang)
    node.app.notify(message, title=title, severity="error", timeout=10, markup=False)
    return True
