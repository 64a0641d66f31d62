"""Code-and-retrieve: every segment of one code across all transcripts, in context."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..model import Coding
from ..store import Project
from .i18n import t


class RetrieveScreen(ModalScreen[Coding | None]):
    """Lists segments as ``transcript · context «segment» context``; enter dismisses with the
    chosen coding so the workbench can jump to it."""

    DEFAULT_CSS = """
    RetrieveScreen {
        align: center middle;
        & > #dialog {
            width: 90%; height: 80%;
            border: round $primary; border-title-style: bold;
            border-subtitle-color: $text-muted; background: $surface; padding: 0 1;
        }
        & OptionList { height: 1fr; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def __init__(self, project: Project, code_label: str, codings: list[Coding], lang: str):
        super().__init__()
        self.codings = codings
        self.lang = lang
        self.code_label = code_label
        self.rows = []
        for coding in codings:
            before, after = project.context(coding.transcript, coding.start, coding.end)
            row = Text(f"{coding.transcript} ", style="bold")
            row.append(f"{coding.coder} ", style="cyan")
            row.append(f"{coding.start}:{coding.end}\n", style="dim")
            row.append(before, style="dim")
            row.append(coding.text, style="reverse")
            row.append(after, style="dim")
            self.rows.append(row)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield OptionList(*(Option(row, id=str(i)) for i, row in enumerate(self.rows)),
                             id="segments")

    def on_mount(self) -> None:
        dialog = self.query_one("#dialog")
        dialog.border_title = Content(
            t("retrieve.title", self.lang, code=self.code_label, count=len(self.codings)))
        dialog.border_subtitle = Content(t("retrieve.hint", self.lang))
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.codings[event.option_index])

    def action_close(self) -> None:
        self.dismiss(None)
