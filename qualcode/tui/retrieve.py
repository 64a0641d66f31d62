"""Code-and-retrieve: coded segments across all transcripts, in context, with their memos,
narrowed by a respondent attribute (年龄组 = 60岁以上) and by coder; segments marked here can
be recoded to another code together (splitting a theme)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import OptionList, Select
from textual.widgets.option_list import Option
from textual.worker import Worker

from ..model import Coding
from ..store import Project
from .dialogs import ListScreen
from .i18n import t
from .workers import Jobs, notify_error

_MEMO_CHARS = 160  # of a coding's memo shown under it


@dataclass(frozen=True, slots=True)
class Recode:
    """Retrieve's answer when segments were marked to recode: their coding ids."""

    coding_ids: tuple[int, ...]


class RetrieveScreen(ListScreen[Coding | Recode | None]):
    """Lists ``codings`` as ``transcript coder start:end`` over ``context «segment» context``
    and the coding's memo; enter dismisses with the chosen coding so the workbench can jump
    to it. Above the list, an attribute and one of its values keep the respondents who have
    it, and a coder keeps that coder's codings (``coder``: the one chosen at first; None for
    everyone). ``title`` names what is listed (a code's label). Space marks a segment (or
    unmarks it), s dismisses with a :class:`Recode` of those marked (else of the one
    highlighted), for the workbench to recode them to another code."""

    DEFAULT_CSS = """
    RetrieveScreen {
        & #filters { height: auto; }
        & #filters Select { width: 1fr; margin-right: 1; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", show=False),
        Binding("s", "recode", show=False),
    ]

    def __init__(
        self,
        project: Project,
        title: str,
        codings: list[Coding],
        lang: str,
        *,
        coder: str | None = None,
    ) -> None:
        super().__init__()
        self.project = project
        self.codings = codings
        self.lang = lang
        self.code_label = title
        self.coder = coder
        # Transcript -> its respondent's value, per attribute: filled in by a worker.
        self.groups: dict[str, dict[str, str]] = {}
        self.values: dict[str, list[str]] = {}  # attribute -> its values, in their order
        self.jobs = Jobs()
        self.shown: list[int] = []
        self.marked: set[int] = set()  # indices into codings, to recode together
        self.rows = []
        for coding in codings:
            before, after = project.context(coding.transcript, coding.start, coding.end)
            row = Text(f"{coding.transcript} ", style="bold")
            row.append(f"{coding.coder} ", style="cyan")
            row.append(f"{coding.start}:{coding.end}\n", style="dim")
            row.append(before, style="dim")
            row.append(coding.text, style="reverse")
            row.append(after, style="dim")
            if coding.memo.strip():
                memo = " ".join(coding.memo.split())
                if len(memo) > _MEMO_CHARS:
                    memo = memo[: _MEMO_CHARS - 1] + "…"
                row.append(f"\n✎ {memo}", style="italic")
            self.rows.append(row)

    def compose(self) -> ComposeResult:
        lang = self.lang
        coders = sorted({c.coder for c in self.codings} | ({self.coder} if self.coder else set()))
        with Vertical(id="dialog"):
            with Horizontal(id="filters"):
                yield Select[str](
                    [], id="attribute", prompt=t("retrieve.attribute", lang), disabled=True
                )
                yield Select[str]([], id="value", prompt=t("retrieve.value", lang), disabled=True)
                yield Select[str](
                    [(c, c) for c in coders],
                    id="coder",
                    prompt=t("retrieve.any_coder", lang),
                    value=self.coder if self.coder in coders else Select.NULL,
                )
            yield OptionList(id="segments")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_subtitle = Content(t("retrieve.hint", self.lang))
        self._show()
        self.query_one(OptionList).focus()
        self._read_attributes(self.jobs.start("attributes"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="attributes")
    def _read_attributes(self, job: int) -> None:
        """Each respondent's value of every attribute, as the cross-tab groups them."""
        from ..analysis import attribute_groups

        with Project.open(self.project.folder) as project:
            groups = {name: attribute_groups(project, name) for name in project.attribute_names()}
        self.app.call_from_thread(self._attributes_read, groups, job)

    def _attributes_read(
        self, groups: dict[str, tuple[dict[str, str], list[str]]], job: int
    ) -> None:
        if not self.is_attached or not self.jobs.current("attributes", job):
            return  # closed meanwhile
        self.groups = {name: group for name, (group, _) in groups.items()}
        self.values = {name: values for name, (_, values) in groups.items()}
        attribute = self.query_one("#attribute", Select)
        attribute.set_options([(name, name) for name in groups])
        attribute.disabled = not groups

    @on(Select.Changed, "#attribute")
    def _attribute_chosen(self) -> None:
        attribute = self.query_one("#attribute", Select).value
        values = self.query_one("#value", Select)
        with values.prevent(Select.Changed):
            chosen = self.values.get(attribute, []) if isinstance(attribute, str) else []
            values.set_options([(v, v) for v in chosen])
            values.disabled = not chosen
        self._show()

    @on(Select.Changed, "#value")
    @on(Select.Changed, "#coder")
    def _show(self) -> None:
        attribute = self.query_one("#attribute", Select).value
        value = self.query_one("#value", Select).value
        coder = self.query_one("#coder", Select).value
        group = self.groups.get(attribute) if isinstance(attribute, str) else None
        self.shown = [
            i
            for i, c in enumerate(self.codings)
            if (not isinstance(coder, str) or c.coder == coder)
            and (group is None or not isinstance(value, str) or group.get(c.transcript) == value)
        ]
        listing = self.query_one(OptionList)
        options: list[Option | None] = []
        for i in self.shown:
            if options:
                options.append(None)  # a rule between segments
            options.append(Option(self._row(i), id=str(i)))
        listing.set_options(options)
        listing.action_first()
        count = (
            str(len(self.codings))
            if len(self.shown) == len(self.codings)
            else f"{len(self.shown)}/{len(self.codings)}"
        )
        self.query_one("#dialog").border_title = Content(
            t("retrieve.title", self.lang, code=self.code_label, count=count)
        )

    def _row(self, i: int) -> Text:
        if i not in self.marked:
            return self.rows[i]
        return Text.assemble(("✓ ", "bold green"), self.rows[i])

    def action_mark(self) -> None:
        """Mark the highlighted segment to recode (or unmark it), then go on to the next."""
        listing = self.query_one(OptionList)
        option = listing.highlighted_option
        if option is None or option.id is None:
            return
        i = int(option.id)
        self.marked ^= {i}
        listing.replace_option_prompt(option.id, self._row(i))
        listing.action_cursor_down()
        self.query_one("#dialog").border_subtitle = Content(
            t("retrieve.marked", self.lang, count=len(self.marked))
            if self.marked
            else t("retrieve.hint", self.lang)
        )

    def action_recode(self) -> None:
        """Close, asking the workbench to recode the marked segments (or the highlighted)."""
        chosen = sorted(self.marked)
        if not chosen:
            option = self.query_one(OptionList).highlighted_option
            if option is None or option.id is None:
                self.app.bell()
                return
            chosen = [int(option.id)]
        self.dismiss(Recode(tuple(self.codings[i].id for i in chosen)))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.codings[int(event.option.id)])

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        notify_error(self, event, self.lang)
