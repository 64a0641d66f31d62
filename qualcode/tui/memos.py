"""The memo browser: every memo of the project in one list (on codings, transcripts, codes
and the whole project) with where it is, filtered as the researcher types; enter goes there.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ..model import Codebook
from ..store import Memo
from .dialogs import ListScreen
from .i18n import t

_QUOTE_CHARS = 80  # of a coding's text shown under its memo
_MEMO_CHARS = 240  # of a memo's text shown in the list
_KIND_STYLE = {
    "coding": "bold cyan",
    "transcript": "bold green",
    "code": "bold magenta",
    "project": "bold yellow",
}


def _short(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class MemoBrowser(ListScreen[Memo | None]):
    """Lists ``memos`` (as :meth:`Project.all_memos` gives them), each as where it is (kind,
    transcript, code, coder, date), the coded text for a coding memo, and the memo itself.
    Typing filters: every word typed must appear in the row. Enter dismisses with the memo
    chosen; the last row offers ``coder`` a project memo when they have none yet (dismissed
    as an empty project memo of theirs)."""

    def __init__(self, memos: list[Memo], codebook: Codebook, coder: str, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.memos = list(memos)
        if coder and not any(m.kind == "project" and m.coder == coder for m in memos):
            self.memos.append(Memo("project", coder, "", ""))
        labels = {code.id: code.label for code, _, _ in codebook.walk()}
        self.rows = [self._row(memo, labels) for memo in self.memos]
        self.haystacks = [row.plain.casefold() for row in self.rows]

    def _row(self, memo: Memo, labels: dict[str, str]) -> Text:
        lang = self.lang
        if not memo.text:  # the offer of a first project memo
            return Text(t("memos.new_project", lang), style="italic")
        row = Text(t(f"memos.kind_{memo.kind}", lang), style=_KIND_STYLE[memo.kind])
        where = []
        if memo.transcript:
            where.append(memo.transcript)
        if memo.code_id:
            label = labels.get(memo.code_id, "")
            where.append(f"{label} ({memo.code_id})" if label else memo.code_id)
        for part in where:
            row.append(" · ")
            row.append(part, style="bold")
        row.append(f" · {memo.coder}", style="cyan")
        if memo.changed:
            row.append(f" · {memo.changed[:10]}", style="dim")
        if memo.kind == "coding":
            row.append("\n「" + _short(memo.quote, _QUOTE_CHARS) + "」", style="dim")
        row.append("\n✎ " + _short(memo.text, _MEMO_CHARS))
        return row

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Input(placeholder=t("memos.placeholder", self.lang), id="filter")
            yield OptionList(id="memos")

    def on_mount(self) -> None:
        dialog = self.query_one("#dialog")
        dialog.border_subtitle = Content(t("memos.hint", self.lang))
        self.query_one(OptionList).can_focus = False  # typing stays in the filter
        self._show("")
        self.query_one(Input).focus()

    def _show(self, query: str) -> None:
        words = query.casefold().split()
        shown = [
            i
            for i, haystack in enumerate(self.haystacks)
            if all(word in haystack for word in words)
        ]
        listing = self.query_one(OptionList)
        options: list[Option | None] = []
        for i in shown:
            if options:
                options.append(None)  # a rule between memos
            options.append(Option(self.rows[i], id=str(i)))
        listing.set_options(options)
        listing.action_first()
        written = sum(1 for m in self.memos if m.text)
        self.query_one("#dialog").border_title = Content(
            t("memos.title", self.lang, count=written)
            if len(shown) == len(self.memos)
            else t("memos.title_filtered", self.lang, shown=len(shown), count=written)
        )

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#filter")
    def _submitted(self) -> None:
        self._choose(self.query_one(OptionList).highlighted_option)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option)

    def _choose(self, option: Option | None) -> None:
        if option is None or option.id is None:
            self.app.bell()
            return
        self.dismiss(self.memos[int(option.id)])
