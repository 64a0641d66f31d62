"""The qualcode app: one open project, the coder's settings and the UI language, shown on
the coding workbench (:mod:`qualcode.tui.workbench`). The app closes its project when it
exits.

Build the app with :func:`build_app`; the CLI and the tests both do.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen

from ..settings import Settings, home
from ..store import Project
from .i18n import default_language
from .workbench import CodebookTree, Coded, WorkbenchScreen, find_whole_words, reported

__all__ = [
    "CodebookTree",
    "Coded",
    "QualcodeApp",
    "WorkbenchScreen",
    "build_app",
    "find_whole_words",
    "reported",
]


class QualcodeApp(App[None]):
    """The workbench on one open project. Key bindings rebound in settings.json (``keys``:
    binding id -> keys) apply on every screen."""

    CSS_PATH = "qualcode.tcss"
    TITLE = "qualcode"

    def __init__(self, project: Project, settings: Settings, *, lang: str | None = None):
        super().__init__()
        self.project = project
        self.settings = settings
        self.lang = lang or settings.language or default_language()
        self.workbench = WorkbenchScreen()
        """The workbench screen, the first on the stack (and kept after the app exits)."""
        if settings.keys:
            self.set_keymap(settings.keys)

    def get_default_screen(self) -> WorkbenchScreen:
        return self.workbench

    def set_language(self, lang: str) -> None:
        """Speak ``lang`` from now on, and remember it in settings.json."""
        self.lang = self.settings.language = lang
        self.settings.save()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification shown as written: it quotes labels, names and search queries,
        whose brackets are not markup (``[/]`` would stop the app, ``[笑]`` would vanish)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, and on the workbench every action of it (ctrl+p)."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, WorkbenchScreen):
            yield from screen.commands()

    def on_app_focus(self) -> None:
        # Back from another window, where a command may have changed the project.
        self.workbench.catch_up()

    def on_unmount(self) -> None:
        # Every change was committed when it was made: closing only lets go of the file,
        # after noting where the coder is (to resume there).
        self.workbench.save_position()
        self.project.close()


def build_app(
    project: str | Path | None = None, *, lang: str | None = None, coder: str | None = None
) -> QualcodeApp:
    """The workbench on ``project`` (a folder), or on the sample study kept in qualcode's
    home folder (created there on first use, so the repository is never changed)."""
    from ..study import open_sample_project

    settings = Settings.load()
    if coder:
        settings.coder = coder
    opened = Project.open(project) if project else open_sample_project(home() / "sample-study")
    return QualcodeApp(opened, settings, lang=lang)
