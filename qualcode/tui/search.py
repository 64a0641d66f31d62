"""Search across every transcript: whole words as ``qualcode report kwic`` finds them, each
hit with its context, the sentence it is in and the codes on it; enter jumps there.

The search runs :func:`qualcode.analysis.kwic` in a thread worker on a connection of its own:
a corpus of millions of characters never blocks the screen, and pandas loads there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from ..store import Project
from .dialogs import ListScreen
from .i18n import t
from .reports import Jump
from .workers import Jobs, notify_error

if TYPE_CHECKING:
    from ..analysis import Kwic

_CONTEXT = 30  # characters of context on each side of a hit, within its line
_SHOWN_INSIDE = 8  # longer words named in the note about hits inside words


class SearchScreen(ListScreen[Jump | None]):
    """Type a word, enter searches every transcript of ``project``; ↑↓ pick a hit and enter
    (again) dismisses with a :class:`Jump` to it. Hits that are only part of a longer word
    are counted apart and the longer words named, as ``report kwic`` keeps them apart."""

    DEFAULT_CSS = """
    SearchScreen #note { height: auto; color: $text-muted; }
    """

    def __init__(self, project: Project, lang: str, query: str = "") -> None:
        super().__init__()
        self.project = project
        self.lang = lang
        self.initial_query = query
        self.searched = ""  # the query whose hits are listed
        self.hits: list[Jump] = []
        self.jobs = Jobs()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Input(
                self.initial_query, placeholder=t("search.placeholder", self.lang), id="query"
            )
            yield Static(id="note")
            yield OptionList(id="hits")

    def on_mount(self) -> None:
        dialog = self.query_one("#dialog")
        dialog.border_title = Content(t("search.title", self.lang))
        dialog.border_subtitle = Content(t("search.hint", self.lang))
        self.query_one(OptionList).can_focus = False  # typing stays in the query
        self.query_one(Input).focus()
        if self.initial_query.strip():
            self.search(self.initial_query)

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        if query and query == self.searched and self.hits:
            option = self.query_one(OptionList).highlighted_option
            if option is not None and option.id is not None:
                self.dismiss(self.hits[int(option.id)])
                return
        if query:
            self.search(query)
        else:
            self.app.bell()

    def search(self, query: str) -> None:
        """Look for ``query`` in every transcript, off the UI thread."""
        query = query.strip()
        self.query_one("#note", Static).update(
            Content(t("search.searching", self.lang, query=query))
        )
        self._search(query, self.jobs.start("search"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def _search(self, query: str, job: int) -> None:
        from ..analysis import kwic

        with Project.open(self.project.folder) as project:
            found = kwic(project, query, width=_CONTEXT)
        self.app.call_from_thread(self._show, query, found, job)

    def _show(self, query: str, found: Kwic, job: int) -> None:
        if not self.is_attached or not self.jobs.current("search", job):
            return  # a newer search replaced this one, or the screen is closed
        lang = self.lang
        self.searched = query
        self.hits = []
        options: list[Option | None] = []
        for row in found.hits.itertuples(index=False):
            self.hits.append(Jump(row.transcript, int(row.start), int(row.end)))
            head = Text(row.transcript, style="bold")
            if row.sentence is not None and row.sentence == row.sentence:  # None, NaN: none
                head.append(f" · {t('word.sentence', lang)} {int(row.sentence)}", style="dim")
            if row.speaker:
                head.append(f" · {row.speaker}", style="cyan")
            if row.codes:
                head.append(f" · {row.codes}", style="green")
            head.append("\n")
            head.append(row.left, style="dim")
            head.append(row.word, style="reverse")
            head.append(row.right, style="dim")
            if options:
                options.append(None)
            options.append(Option(head, id=str(len(self.hits) - 1)))
        listing = self.query_one(OptionList)
        listing.set_options(options)
        listing.action_first()
        note = t("search.found", lang, query=query, count=len(self.hits))
        if not self.hits:
            note = t("search.none", lang, query=query)
        inside = found.inside_words
        if len(inside):
            words = list(dict.fromkeys(inside["in word"]))
            named = "、".join(words[:_SHOWN_INSIDE]) + ("…" if len(words) > _SHOWN_INSIDE else "")
            note += "\n" + t("search.inside", lang, count=len(inside), words=named)
        self.query_one("#note", Static).update(Content(note))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if notify_error(self, event, self.lang):
            self.query_one("#note", Static).update("")

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.hits[int(event.option.id)])
