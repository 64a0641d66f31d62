"""The coding workbench: transcripts on the left, the transcript in the middle, the codebook
on the right, as one :class:`~textual.screen.Screen` that owns its keys.

A dialog or the reports screen pushed over the workbench hides its keys by being on top: a
digit typed into a dialog never codes the sentence behind it. What the workbench shows
follows its state (the open transcript, the coder, whose codings are shown, which side panes
are shown), kept in reactives whose watchers redraw what depends on them. After a change,
only what it touched is redrawn: the codebook nodes whose count changed, the transcript
list's rows of the transcripts it changed, the coded lines.

To add an action: one row in :data:`ACTIONS` (its binding id, keys, and whether the footer
and the command palette show it), its description in ``i18n.BINDING_DESCRIPTIONS`` and
``STRINGS``, and an ``action_<name>`` method here.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, Tree
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

from ..codematch import CodeMatcher
from ..errors import ProjectError, QualcodeError
from ..model import Code, Codebook, Coding, Span
from ..store import HistoryStep, Memo, Project, StoredTranscript, TranscriptSummary
from .codes_pane import CodebookPane
from .dialogs import ChoiceList, CodePicker, HelpScreen, NewCode, TextPrompt
from .i18n import BINDING_DESCRIPTIONS, t, translate_bindings
from .memos import MemoBrowser
from .reports import Jump, ReportsScreen
from .retrieve import RetrieveScreen
from .search import SearchScreen
from .transcript_view import CodingMark, TranscriptView
from .workers import reported

if TYPE_CHECKING:
    from .app import QualcodeApp


ALL_CODERS = "*"
_POSITION_EVERY = 2.0  # seconds between saves of where the coder is (if it changed)


# --- keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkbenchAction:
    """One thing the workbench does. ``id`` is its binding id (rebind it in settings.json's
    ``keys``) and, through ``i18n.BINDING_DESCRIPTIONS``, names its description; ``keys``
    may be empty for an action offered in the command palette only. An action of the
    ``pane`` "codebook" acts on the code under the codebook's cursor: its keys work there."""

    id: str
    keys: str
    action: str
    footer: bool = False
    palette: bool = True
    pane: str = ""

    def binding(self) -> Binding:
        description = t(BINDING_DESCRIPTIONS.get(self.id, self.id), "en")
        action = f"screen.{self.action}" if self.pane else self.action
        return Binding(self.keys, action, description, show=self.footer, id=self.id)


ACTIONS: list[WorkbenchAction] = [
    WorkbenchAction("apply_code", "c,enter", "apply_code", footer=True),
    WorkbenchAction("in_vivo", "i", "in_vivo"),
    WorkbenchAction("remove_coding", "x,delete", "remove_coding", footer=True),
    WorkbenchAction("memo", "m", "memo"),
    WorkbenchAction("transcript_memo", "M", "transcript_memo"),
    WorkbenchAction("memos", "e", "memos"),
    WorkbenchAction("code_memo", "", "code_memo"),
    WorkbenchAction("undo", "ctrl+z", "undo", footer=True),
    WorkbenchAction("redo", "ctrl+y", "redo"),
    WorkbenchAction("search", "slash", "search", footer=True),
    WorkbenchAction("search_all", "f,ctrl+f", "search_all"),
    WorkbenchAction("next_hit", "n", "next_hit(1)"),
    WorkbenchAction("previous_hit", "N", "next_hit(-1)", palette=False),
    WorkbenchAction("retrieve", "r", "retrieve", footer=True),
    WorkbenchAction("reports", "ctrl+r", "reports", footer=True),
    WorkbenchAction("switch_view", "o", "switch_view"),
    WorkbenchAction("set_coder", "", "set_coder"),
    WorkbenchAction("speaker_role", "", "speaker_role"),
    WorkbenchAction("next_suggestion", "s", "next_suggestion"),
    WorkbenchAction("accept_suggestion", "a", "accept_suggestion"),
    WorkbenchAction("reject_suggestion", "R", "reject_suggestion"),
    WorkbenchAction("toggle_transcripts", "T", "toggle_pane('transcripts')"),
    WorkbenchAction("toggle_codebook", "C", "toggle_pane('codebook')"),
    WorkbenchAction("language", "L", "language"),
    WorkbenchAction("help", "question_mark,f1", "help", footer=True),
    WorkbenchAction("focus_next", "tab", "app.focus_next", palette=False),
    WorkbenchAction("focus_previous", "shift+tab", "app.focus_previous", palette=False),
    WorkbenchAction("quit", "q", "app.quit", footer=True, palette=False),
    WorkbenchAction("review", "", "review"),
    # In the codebook pane (qualcode.tui.codes_pane): refining the codebook while coding.
    WorkbenchAction("code_edit", "e", "code_edit", footer=True, pane="codebook"),
    WorkbenchAction("code_rename", "f2", "code_rename", pane="codebook"),
    WorkbenchAction("code_move", "p", "code_move", pane="codebook"),
    WorkbenchAction("code_up", "ctrl+up,K", "code_order(-1)", pane="codebook"),
    WorkbenchAction("code_down", "ctrl+down,J", "code_order(1)", pane="codebook"),
    WorkbenchAction("code_merge", "g", "code_merge", footer=True, pane="codebook"),
    WorkbenchAction("code_delete", "x,delete", "code_delete", pane="codebook"),
    WorkbenchAction("code_new_child", "a", "code_new('child')", pane="codebook"),
    WorkbenchAction("code_new_sibling", "A", "code_new('sibling')", pane="codebook"),
]


class CodebookTree(Tree[str]):
    """The codebook: colour, label, count of codings, favourite key, English label. A digit
    on a code binds that key to it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"screen.bind_favourite({n})", show=False) for n in range(1, 10)),
        Binding("m", "screen.code_memo", show=False),  # a memo on the code, not a coding
        *(a.binding() for a in ACTIONS if a.keys and a.pane == "codebook"),
    ]


class Coded(Message):
    """Posted after a coding is committed and shown (benchmarks and the crash test hook it)."""

    def __init__(self, coding: Coding) -> None:
        super().__init__()
        self.coding = coding


class CodingTally:
    """What the confirmed codings drawn in the open transcript add up to, kept up to date
    change by change, so that a coding costs what it touches, not what the transcript holds:
    the sentences they touch (the progress in the transcript list) and the codings.

    ``starts`` and ``ends`` are the transcript's sentences, sorted. Feed `update` the
    confirmed codings drawn after each change; it returns how each code's count moved."""

    def __init__(self, starts: Sequence[int], ends: Sequence[int]) -> None:
        self._starts = starts
        self._ends = ends
        self._touches: dict[int, int] = {}  # sentence index -> codings touching it (>0)
        self.codings: dict[int, tuple[int, int, str]] = {}  # id -> (start, end, code id)

    @property
    def coded_sentences(self) -> int:
        """How many sentences at least one coding touches by a character or more."""
        return len(self._touches)

    def update(self, codings: Iterable[Coding]) -> Counter[str]:
        """Take ``codings`` (all confirmed codings drawn now); the change in codings per
        code id since the last update (a coding whose span or code changed counts as one
        removed and one added)."""
        now = {c.id: (c.start, c.end, c.code_id) for c in codings}
        moved: Counter[str] = Counter()
        for _, (start, end, code_id) in self.codings.items() - now.items():
            self._touch(start, end, -1)
            moved[code_id] -= 1
        for _, (start, end, code_id) in now.items() - self.codings.items():
            self._touch(start, end, 1)
            moved[code_id] += 1
        self.codings = now
        return moved

    def _touch(self, start: int, end: int, step: int) -> None:
        # The sentences [first, stop) overlap [start, end), as `count_touched_bounds` finds.
        touches = self._touches
        for i in range(bisect_right(self._ends, start), bisect_left(self._starts, end)):
            count = touches.get(i, 0) + step
            if count:
                touches[i] = count
            else:
                del touches[i]


# --- side panes -----------------------------------------------------------------------------

PANES = ("transcripts", "codebook")
_WIDEST = {"transcripts": 26, "codebook": 38}  # in cells, borders included
_NARROWEST = {"transcripts": 16, "codebook": 24}


def side_pane_widths(width: int, choices: dict[str, str] | None = None) -> dict[str, int]:
    """The width of each side pane (0: hidden) in a screen ``width`` cells wide, so that
    the transcript keeps at least 60% of it.

    ``choices`` holds the researcher's choice per pane: ``hidden``, ``shown`` (kept even
    when space is short, before a pane left to the layout), or absent for the layout to
    decide. Short of room, the codebook (needed to code) stays longer than the transcript
    list, and each pane narrows to its narrowest before it is hidden."""
    choices = choices or {}
    room = width * 2 // 5
    wanted = [p for p in PANES if choices.get(p) != "hidden"]
    # The researcher's explicit choices first, then the codebook before the transcript list.
    wanted.sort(key=lambda p: (choices.get(p) != "shown", p != "codebook"))
    kept = []
    for pane in wanted:
        if sum(_NARROWEST[k] for k in kept) + _NARROWEST[pane] <= room:
            kept.append(pane)
    widths = dict.fromkeys(PANES, 0)
    # The codebook grows to 30% of the screen, the transcript list takes what is left.
    preferred = {
        "codebook": max(_NARROWEST["codebook"], min(_WIDEST["codebook"], width * 3 // 10)),
        "transcripts": _WIDEST["transcripts"],
    }
    left = room
    for i, pane in enumerate(kept):
        others = sum(_NARROWEST[k] for k in kept[i + 1 :])
        widths[pane] = min(preferred[pane], left - others)
        left -= widths[pane]
    return widths


# --- the screen ---------------------------------------------------------------------------------


class WorkbenchScreen(CodebookPane, Screen[None]):
    """The workbench on the app's open project (``app.project``), as ``app.settings.coder``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(a.binding() for a in ACTIONS if a.keys and not a.pane),
        *(
            Binding(str(n), f"favourite({n})", show=False, id=f"favourite_{n}")
            for n in range(1, 10)
        ),
    ]

    transcript: var[StoredTranscript | None] = var(None, always_update=True)
    """The transcript shown (None before one is opened)."""
    coder: reactive[str] = reactive("")
    """Who is coding: their codings are made, removed and undone."""
    view_coder: reactive[str] = reactive("")
    """Whose codings are drawn and counted; ALL_CODERS for everyone's."""
    pane_choices: var[dict[str, str]] = var(dict, always_update=True)
    """The researcher's choice per side pane (see `side_pane_widths`)."""

    def __init__(self) -> None:
        super().__init__()
        self.codebook: Codebook = Codebook("", [])
        self.favourites: dict[int, str] = {}  # key -> code id, as the codebook pane shows
        self.matcher: CodeMatcher | None = None
        self.hits: list[Span] = []
        self.reports_place: tuple[str, int] = ("frequencies", 0)  # tab and disagreement shown
        self._code_nodes: dict[str, TreeNode[str]] = {}  # code id -> its node in the tree
        self._code_labels: dict[str, Text] = {}  # code id -> the label its node shows
        self._drawn: list[Coding] = []  # the codings drawn in the open transcript
        self._tally: CodingTally | None = None  # of the open transcript's codings drawn
        self._counts: dict[str, int] = {}  # code id -> confirmed codings, as the tree shows
        self._summaries: dict[str, TranscriptSummary] = {}  # as the transcript list shows
        self._position: tuple[str, int] | None = None  # where this coder is, as last saved
        self._view: TranscriptView | None = None  # kept: read when the app closes, unmounted
        self._data_version = 0  # of the project file, as of the last look (see catch_up)

    @property
    def qualcode(self) -> QualcodeApp:
        return self.app  # type: ignore[return-value]

    @property
    def project(self) -> Project:
        return self.qualcode.project

    @property
    def lang(self) -> str:
        return self.qualcode.lang

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield OptionList(id="transcripts")
            yield TranscriptView(id="transcript")
            with Vertical(id="right"):
                yield CodebookTree("", id="codebook")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        settings = self.qualcode.settings
        self.set_reactive(WorkbenchScreen.coder, settings.coder)
        self.set_reactive(WorkbenchScreen.view_coder, settings.coder)
        self.set_reactive(
            WorkbenchScreen.pane_choices,
            {p: c for p, c in dict(settings.panes).items() if p in PANES}
            if isinstance(settings.panes, dict)
            else {},
        )
        self.sub_title = self.project.name
        self.codebook = self.project.codebook()
        self.favourites = self.project.favourites()
        tree = self.query_one(CodebookTree)
        tree.show_root = False
        tree.auto_expand = False  # enter applies the code; space opens or closes a branch
        self.translate()
        self._fill_transcripts()
        self._sync_codebook()
        self._resume()
        self.query_one(TranscriptView).focus()
        self.set_interval(_POSITION_EVERY, self.save_position)
        self._prepare_matcher()
        self._data_version = self._project_version()
        if not self.coder:
            self._ask_coder()

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out_panes()

    def _lay_out_panes(self) -> None:
        widths = side_pane_widths(self.size.width, self.pane_choices)
        self.query_one(Footer).compact = self.size.width < 120
        for pane, box in (("transcripts", "#left"), ("codebook", "#right")):
            widget = self.query_one(box)
            widget.display = widths[pane] > 0
            if widths[pane]:
                widget.styles.width = widths[pane]
        node = self.focused
        while node is not None and node is not self:
            if not node.display:
                self.query_one(TranscriptView).focus()  # its pane was hidden
                break
            node = node.parent

    def watch_pane_choices(self) -> None:
        if self.is_mounted:
            self._lay_out_panes()

    @reported
    def action_toggle_pane(self, pane: str) -> None:
        """Show or hide a side pane; the choice is remembered in settings.json."""
        box = self.query_one("#left" if pane == "transcripts" else "#right")
        choices = dict(self.pane_choices)
        choices[pane] = "hidden" if box.display else "shown"
        self.pane_choices = choices
        settings = self.qualcode.settings
        settings.panes = choices
        settings.save()

    @work(thread=True, exclusive=True, group="matcher")
    def _prepare_matcher(self) -> None:
        # Pinyin for the picker is built off the UI thread so the first paint never waits.
        matcher = CodeMatcher(self.codebook)
        self.app.call_from_thread(setattr, self, "matcher", matcher)

    def translate(self) -> None:
        """Titles, footer and status in the UI language."""
        self.query_one("#left").border_title = t("pane.transcripts", self.lang)
        self.query_one("#right").border_title = t("pane.codebook", self.lang)
        for node in (self, self.query_one(TranscriptView), self.query_one(CodebookTree)):
            translate_bindings(node, self.lang)
        self.refresh_bindings()
        self._update_status()

    # --- the transcript list ----------------------------------------------------------------

    def _coder_filter(self) -> str | None:
        return None if self.view_coder == ALL_CODERS else self.view_coder

    def _fill_transcripts(self) -> None:
        listing = self.query_one("#transcripts", OptionList)
        listing.clear_options()
        row = self._row_maker()
        self._summaries = {s.name: s for s in self.project.summaries(coder=self._coder_filter())}
        listing.add_options(Option(row(s), id=s.name) for s in self._summaries.values())
        if self.transcript is not None:
            listing.highlighted = listing.get_option_index(self.transcript.name)

    def _row_maker(self) -> Callable[[TranscriptSummary], Text]:
        """A function drawing a transcript's row: name and % of sentences coded, then its
        respondent's first attributes (the summary carries them: one query for the list)."""
        shown = self.project.attribute_names()[:3]

        def row(summary: TranscriptSummary) -> Text:
            values = summary.attributes
            text = Text(summary.name, style="bold")
            text.append(f"  {summary.percent_coded:.0f}%", style="green")
            text.append(
                "\n" + " · ".join(v for v in (values.get(a, "") for a in shown) if v), style="dim"
            )
            return text

        return row

    def _update_rows(self, names: Iterable[str]) -> None:
        """Redraw the rows of these transcripts (the others did not change). The open
        transcript's progress comes from the codings drawn (see `CodingTally`), any other's
        from the store."""
        listing = self.query_one("#transcripts", OptionList)
        row = None
        shown = self.transcript.name if self.transcript is not None else None
        for name in dict.fromkeys(names):
            if name == shown and name in self._summaries and self._tally is not None:
                summary = replace(
                    self._summaries[name],
                    coded_sentences=self._tally.coded_sentences,
                    codings=len(self._tally.codings),
                )
            else:
                try:
                    (summary,) = self.project.summaries(name, self._coder_filter())
                except (ProjectError, ValueError):
                    continue  # no longer in the project
            if summary == self._summaries.get(name):
                continue
            self._summaries[name] = summary
            row = row or self._row_maker()
            listing.replace_option_prompt(summary.name, row(summary))

    @on(OptionList.OptionSelected, "#transcripts")
    @reported
    def _transcript_chosen(self, event: OptionList.OptionSelected) -> None:
        self.open_transcript(event.option.id)
        self.query_one(TranscriptView).focus()

    # --- the codebook tree --------------------------------------------------------------

    def _code_label(self, code: Code, counts: dict[str, int], keys: dict[str, int]) -> Text:
        # The key first: in a narrow pane it must not be the part cut off.
        label = Text()
        label.append("■ ", style=code.color or "white")
        if code.id in keys:
            label.append(f"[{keys[code.id]}] ", style="bold cyan")
        label.append(code.label)
        if code.id in counts:
            label.append(f" {counts[code.id]}", style="bold green")
        if code.label_en:
            label.append(f" {code.label_en}", style="dim")
        return label

    def _sync_codebook(self, moved: Mapping[str, int] | None = None) -> None:
        """Make the tree show the codebook, its counts and keys, touching only the nodes that
        changed: the cursor stays on its code and a collapsed branch stays collapsed.

        ``moved``: only counts changed, by this much per code id (codings made, removed or
        undone in the open transcript): just those nodes are relabelled. Otherwise the
        counts are read from the store and every node is checked."""
        tree = self.query_one(CodebookTree)
        keys = {code_id: key for key, code_id in self.favourites.items()}
        if moved is not None and self._code_nodes:
            counts = self._counts
            by_id = self.codebook.by_id()
            for code_id, change in moved.items():
                counts[code_id] = counts.get(code_id, 0) + change
                if counts[code_id] <= 0:
                    del counts[code_id]  # a code without codings shows no count
                code, node = by_id.get(code_id), self._code_nodes.get(code_id)
                if code is not None and node is not None:
                    label = self._code_label(code, counts, keys)
                    if self._code_labels.get(code_id) != label:
                        node.set_label(label)
                        self._code_labels[code_id] = label
            return
        counts = self._counts = self.project.code_counts(self._coder_filter())
        walk = [(code, parent.id if parent else None) for code, parent, _ in self.codebook.walk()]
        parents = {code.id: parent for code, parent in walk}
        cursor = tree.cursor_node.data if tree.cursor_node is not None else None
        cursor_parent = self._code_nodes[cursor].parent.data if cursor in self._code_nodes else None
        moved = False
        for code_id, node in list(self._code_nodes.items()):
            if code_id in self._code_nodes and parents.get(code_id, "") != node.parent.data:
                self._drop(node)  # a code deleted, or moved under another parent
                moved = True
        for code, parent_id in walk:
            label = self._code_label(code, counts, keys)
            node = self._code_nodes.get(code.id)
            if node is None:
                parent = self._code_nodes[parent_id] if parent_id else tree.root
                siblings = (
                    self.codebook.by_id()[parent_id].children
                    if parent_id
                    else (self.codebook.codes)
                )
                index = [c.id for c in siblings].index(code.id)
                node = parent.add(
                    label,
                    data=code.id,
                    expand=True,
                    allow_expand=bool(code.children),
                    before=index if index < len(parent.children) else None,
                )
                self._code_nodes[code.id] = node
                moved = True
            else:
                if self._code_labels.get(code.id) != label:
                    node.set_label(label)
                if node.allow_expand != bool(code.children):
                    node.allow_expand = bool(code.children)
                    tree.refresh()  # Textual redraws the node's arrow only when asked
            self._code_labels[code.id] = label
        if not self._in_codebook_order(tree.root):
            # Siblings reordered (a merged codebook, a reorder undone): rebuild, keeping what
            # was collapsed and where the cursor was.
            collapsed = {
                i for i, n in self._code_nodes.items() if n.allow_expand and not n.is_expanded
            }
            tree.clear()
            self._code_nodes.clear()
            self._code_labels.clear()
            self._sync_codebook()
            for code_id in collapsed & set(self._code_nodes):
                self._code_nodes[code_id].collapse()
            moved = True
        if moved:
            target = self._code_nodes.get(cursor) or self._code_nodes.get(cursor_parent)
            if target is not None:
                tree.last_line  # noqa: B018 - lays the tree out, so the node knows its line
                tree.move_cursor(target)
        if not tree.root.is_expanded:
            tree.root.expand()  # expanding again would lay the whole tree out anew

    def _drop(self, node: TreeNode[str]) -> None:
        """Remove a code's node and its subtree from the tree and the id map."""
        todo = [node]
        while todo:
            current = todo.pop()
            self._code_nodes.pop(current.data, None)
            self._code_labels.pop(current.data, None)
            todo.extend(current.children)
        node.remove()

    def _in_codebook_order(self, root: TreeNode[str]) -> bool:
        by_id = self.codebook.by_id()
        for node in [root, *self._code_nodes.values()]:
            codes = by_id[node.data].children if node.data else self.codebook.codes
            if [c.data for c in node.children] != [c.id for c in codes]:
                return False
        return True

    @on(Tree.NodeSelected, "#codebook")
    @reported
    def _code_chosen(self, event: Tree.NodeSelected) -> None:
        if event.node.data:
            self._apply(event.node.data)

    # --- state shown ----------------------------------------------------------------------

    def _read_codings(self) -> Counter[str]:
        """Read the codings to draw in the open transcript, once per change: the viewed
        coder's (or everyone's) confirmed ones, and every suggestion waiting for review,
        whoever (or whatever rule) made it; without their text (the view has it). Returns
        how each code's count moved since the last read (see `CodingTally`)."""
        if self.transcript is None:
            self._drawn = []
            return Counter()
        viewed = self._coder_filter()
        self._drawn = [
            c
            for c in self.project.codings(self.transcript.name, status=None, text=False)
            if (c.status == "confirmed" and viewed in (None, c.coder))
            or c.status == "suggested"  # unplaced and rejected codings are only listed
        ]
        if self._tally is None:
            return Counter()
        return self._tally.update(c for c in self._drawn if c.status == "confirmed")

    def _draw_codings(self) -> Counter[str]:
        """Read the codings drawn anew and redraw the lines whose marks changed; how each
        code's count moved."""
        moved = self._read_codings()
        self.query_one(TranscriptView).set_codings(self._marks())
        return moved

    def _marks(self) -> list[CodingMark]:
        codes = self.codebook.by_id()
        marks = []
        for c in self._drawn:
            code = codes.get(c.code_id)
            marks.append(
                CodingMark(
                    c.start,
                    c.end,
                    c.code_id,
                    code.label if code else c.code_id,
                    code.color if code else "",
                    c.status == "suggested",
                    c.id,
                    memo=bool(c.memo.strip()),
                )
            )
        return marks

    def open_transcript(self, name: str) -> None:
        """Show a transcript (by name or unique prefix)."""
        self.transcript = self.project.transcript(name)

    def watch_transcript(self, stored: StoredTranscript | None) -> None:
        if stored is None:
            return
        view = self.query_one(TranscriptView)
        self._tally = CodingTally(stored.sentences.starts, stored.sentences.ends)
        self._read_codings()
        view.load(stored.text, stored.sentences, stored.word_ends, stored.turns, self._marks())
        if stored.sentences:
            # On the sentence the view highlights, so that the first j moves on from it.
            view.go_to(stored.sentences[0].start)
        self.hits = []
        view.border_title = stored.name
        listing = self.query_one("#transcripts", OptionList)
        listing.highlighted = listing.get_option_index(stored.name)
        self.project.set_setting("last_transcript", stored.name)
        self._update_status()

    def watch_coder(self) -> None:
        self._update_status()

    def watch_view_coder(self) -> None:
        """Another coder's codings (or everyone's): every count and mark may differ."""
        self._draw_codings()
        self._sync_codebook()
        self._fill_transcripts()
        self._update_status()

    def _project_version(self) -> int:
        # SQLite's data_version changes when another connection commits, never for our own.
        return self.project.conn.execute("PRAGMA data_version").fetchone()[0]

    def catch_up(self) -> None:
        """Show what another process (a CLI command, a colleague's merge) changed since the
        last look: the codebook and its keys, every count, mark and progress. Nothing when
        nobody else wrote; the tree keeps its cursor and what is collapsed either way."""
        if not self.is_mounted:
            return
        version = self._project_version()
        if version == self._data_version:
            return
        self._data_version = version
        self._codebook_changed(self.project.transcript_names())

    def _redraw(self, transcripts: Iterable[str] = (), *, recount: bool = False) -> None:
        """After codings changed in ``transcripts`` (the one shown unless given): its marks,
        the counts that changed and those transcripts' rows. A change in the open transcript
        alone is counted from the codings drawn before and after it (no count is read from
        the store); otherwise, or with ``recount``, counts are read anew."""
        shown = self.transcript.name if self.transcript is not None else None
        names = list(transcripts) or ([shown] if shown else [])
        moved = None
        if shown in names:
            moved = self._draw_codings()
        self._sync_codebook(None if recount or set(names) != {shown} else moved)
        self._update_rows(names)
        self._update_status()

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        view = self.query_one(TranscriptView)
        parts = [f"{t('word.coder', self.lang)}: {self.coder or '?'}"]
        if self.view_coder != self.coder:
            shown = (
                t("word.all_coders", self.lang)
                if self.view_coder == ALL_CODERS
                else (self.view_coder)
            )
            parts.append(f"{t('word.viewing', self.lang)}: {shown}")
        if self.transcript is not None:
            span = view.selection
            parts.append(self.transcript.name)
            number = self._sentence_number(span.start)
            if number:
                parts.append(
                    f"{t('word.sentence', self.lang)} {number}/{len(self.transcript.sentences)}"
                )
            parts.append(f"{span.start}:{span.end}")
        # One line whatever it says: no layout of the screen (which would repaint the
        # transcript's scroll bar in a frame of its own after every key).
        self.query_one("#status", Static).update(" · ".join(parts), layout=False)

    def _sentence_number(self, offset: int) -> int:
        """The 1-based number of the sentence ``offset`` is in (or the next one), 0 if none:
        by where a selection starts, since the cursor sits at its end (after a jump)."""
        starts = self.transcript.sentences.starts
        i = bisect_right(starts, offset) - 1
        if i >= 0 and offset < self.transcript.sentences.ends[i]:
            return i + 1
        return i + 2 if i + 1 < len(starts) else 0

    @on(TranscriptView.CursorMoved)
    @on(TranscriptView.SelectionChanged)
    def _view_changed(self) -> None:
        self._update_status()

    # --- coding -----------------------------------------------------------------------------

    def _target(self) -> Span | None:
        if self.transcript is None:
            return None
        return self.query_one(TranscriptView).selection

    def _apply(self, code_id: str) -> None:
        span = self._target()
        if span is None or not self._need_coder():
            return
        try:
            coding = self.project.add_coding(
                self.transcript.name,
                span.start,
                span.end,
                code_id,
                self.coder,
                text_hash=self.transcript.hash,
                text=False,
            )
        except ProjectError:
            name = self.transcript.name
            if self.project.transcript_hashes().get(name) != self.transcript.hash:
                self.open_transcript(name)  # re-imported meanwhile: show the text as it is now
            elif code_id not in self.project.codebook().by_id():
                self._codebook_changed()  # changed meanwhile: show the codebook as it is now
            raise
        # Its text cut from the text shown (the stored one: the hash matched), not in SQLite.
        coding.text = self.transcript.text[coding.start : coding.end]
        self.query_one(TranscriptView).clear_selection()
        self._redraw()
        self.app.notify(t("notify.coded", self.lang, code=self._label(code_id)), timeout=2)
        self.app.post_message(Coded(coding))  # on the app, as benchmarks and tests listen

    def _label(self, code_id: str) -> str:
        code = self.codebook.by_id().get(code_id)
        return f"{code.label} ({code_id})" if code else code_id

    def _pick_code(self, initial_label: str = "") -> None:
        @reported
        def chosen(result: str | NewCode | None) -> None:
            if isinstance(result, NewCode):
                self.project.add_code(
                    Code(id=result.code_id, label=result.label), result.parent_id, coder=self.coder
                )
                self._codebook_changed()
                self.app.notify(t("notify.code_created", self.lang, code=result.label), timeout=2)
                result = result.code_id
            if result:
                self._apply(result)

        self.app.push_screen(
            CodePicker(
                self.codebook,
                self.lang,
                initial_label=initial_label,
                matcher=self.matcher,
                memos=self.project.code_memos(self.coder),
            ),
            chosen,
        )

    def _codebook_changed(self, transcripts: Iterable[str] = ()) -> None:
        """After the codebook may have changed: reload it and its keys, rebuild the picker's
        pinyin and redraw (see `_redraw`)."""
        self.codebook = self.project.codebook()
        self.favourites = self.project.favourites()
        self.matcher = None
        self._prepare_matcher()
        self._redraw(transcripts, recount=True)

    @reported
    def action_apply_code(self) -> None:
        if self.transcript is not None:
            self._pick_code()

    @reported
    def action_in_vivo(self) -> None:
        view = self.query_one(TranscriptView)
        if not view.has_selection:
            self.app.notify(t("notify.no_selection", self.lang), severity="warning")
            return
        self._pick_code(initial_label=view.selected_text.strip())

    @reported
    def action_favourite(self, n: int) -> None:
        """Apply the code bound to key ``n``, as the codebook pane shows it."""
        code_id = self.favourites.get(n)
        if code_id is None:
            self.app.notify(t("notify.no_favourite", self.lang, n=n), severity="warning")
            return
        self._apply(code_id)

    @reported
    def action_bind_favourite(self, n: int) -> None:
        """Bind key ``n`` to the code under the codebook's cursor (it leaves its old key)."""
        node = self.query_one(CodebookTree).cursor_node
        if node is None or not node.data:
            return
        self.favourites = self.project.bind_favourite(n, node.data)
        self._sync_codebook()
        self.app.notify(
            t("notify.favourite_bound", self.lang, n=n, code=self._label(node.data)), timeout=2
        )

    def _overlapping(self) -> list[Coding]:
        """The codings drawn that overlap the selection (or the current sentence)."""
        span = self._target()
        if span is None:
            return []
        # What another process changed meanwhile is drawn (and offered) first.
        self.catch_up()
        text = self.transcript.text
        return [
            replace(c, text=text[c.start : c.end])
            for c in self._drawn
            if c.start < span.end and span.start < c.end
        ]

    def _codings_here(self) -> list[Coding]:
        """This coder's codings overlapping the selection (or the current sentence)."""
        return [c for c in self._overlapping() if c.coder == self.coder]

    def _choose_coding(
        self, codings: list[Coding], title: str, then: Callable[[Coding], None]
    ) -> None:
        if not codings:
            self.app.notify(t("notify.no_coding_here", self.lang), severity="warning")
        elif len(codings) == 1:
            then(codings[0])
        else:
            by_id = {str(c.id): c for c in codings}
            items = [(str(c.id), f"{self._label(c.code_id)}  {c.text[:30]}") for c in codings]
            self.app.push_screen(
                ChoiceList(title, items, self.lang), lambda chosen: chosen and then(by_id[chosen])
            )

    @reported
    def action_remove_coding(self) -> None:
        @reported
        def remove(coding: Coding) -> None:
            self.project.remove_coding(coding.id, text=False)
            self._redraw()
            self.app.notify(
                t("notify.removed", self.lang, code=self._label(coding.code_id)), timeout=2
            )

        self._choose_coding(self._codings_here(), t("choice.remove_coding", self.lang), remove)

    @reported
    def action_memo(self) -> None:
        @reported
        def edit(coding: Coding) -> None:
            @reported
            def save(memo: str | None) -> None:
                if memo is not None:
                    self.project.set_coding_memo(coding.id, memo)
                    self._redraw([coding.transcript])  # its ✎ in the margin
                    self.app.notify(t("notify.memo_saved", self.lang), timeout=2)

            self.app.push_screen(
                TextPrompt(t("prompt.memo", self.lang), self.lang, coding.memo, multiline=True),
                save,
            )

        self._choose_coding(self._codings_here(), t("prompt.memo", self.lang), edit)

    @reported
    def action_transcript_memo(self) -> None:
        if self.transcript is None or not self._need_coder():
            return
        name = self.transcript.name

        @reported
        def save(memo: str | None) -> None:
            if memo is not None:
                self.project.set_transcript_memo(name, self.coder, memo)
                self.app.notify(t("notify.memo_saved", self.lang), timeout=2)

        current = self.project.transcript_memo(name, self.coder)
        self.app.push_screen(
            TextPrompt(
                f"{t('prompt.transcript_memo', self.lang)}: {name}",
                self.lang,
                current,
                multiline=True,
            ),
            save,
        )

    @reported
    def action_accept_suggestion(self) -> None:
        self._decide(accept=True)

    @reported
    def action_reject_suggestion(self) -> None:
        self._decide(accept=False)

    def _decide(self, *, accept: bool) -> None:
        """Accept (as this coder's coding) or reject the suggestions here, then go on to the
        next one: reviewing is one key per suggestion."""
        from .. import autocode

        here = [c.id for c in self._overlapping() if c.status == "suggested"]
        if not here:
            self.app.notify(t("notify.no_suggestion_here", self.lang), severity="warning")
            return
        if not self._need_coder():
            return
        decide = autocode.accept if accept else autocode.reject
        decide(self.project, here, coder=self.coder)
        self._redraw()
        message = "notify.accepted" if accept else "notify.rejected"
        self.app.notify(t(message, self.lang, count=len(here)), timeout=2)
        self.action_next_suggestion()

    @reported
    def action_next_suggestion(self) -> None:
        """Select the next suggestion after the cursor, in this transcript or the next one
        that has any."""
        from .. import autocode

        waiting = autocode.suggestions(self.project)
        if not waiting:
            self.app.notify(t("notify.no_suggestions", self.lang), timeout=2)
            return
        names = self.project.transcript_names()
        here = names.index(self.transcript.name) if self.transcript else 0
        cursor = self.query_one(TranscriptView).cursor
        following = [c for c in waiting if (names.index(c.transcript), c.start) > (here, cursor)]
        self._jump((following or waiting)[0])

    # --- undo -------------------------------------------------------------------------------

    @reported
    def action_undo(self) -> None:
        """Undo this coder's own last change, and say what and where it was."""
        if self._need_coder():
            self._after_history(
                self.project.undo(self.coder), "notify.undone", "notify.nothing_to_undo"
            )

    @reported
    def action_redo(self) -> None:
        if self._need_coder():
            self._after_history(
                self.project.redo(self.coder), "notify.redone", "notify.nothing_to_redo"
            )

    def _after_history(self, step: HistoryStep | None, done: str, nothing: str) -> None:
        if step is None:
            self.app.notify(t(nothing, self.lang), timeout=2)
            return
        # The action may have added or removed a code (or freed its key), or changed codings
        # elsewhere; the picker's pinyin is rebuilt only when the codebook did change.
        if self.project.codebook() != self.codebook or self.project.favourites() != self.favourites:
            self._codebook_changed(step.transcripts)
        else:
            self._redraw(step.transcripts)
        self.app.notify(t(done, self.lang, action=self.describe(step)), timeout=3)

    def describe(self, step: HistoryStep) -> str:
        """What an undo or redo did, for a person: ``宣传推广 · A01_zhang 句 12``; the
        action is named unless it was a coding (``删除编码 · 宣传推广 · …``)."""
        name, _, count = step.action.partition(" ")
        name = {"add code": "add_code", "import codings": "import"}.get(step.action, name)
        parts = [] if name == "code" else [t(f"action.{name}", self.lang, count=count)]
        code = self.codebook.by_id().get(step.code_id)
        if step.code_id:
            parts.append(code.label if code else step.code_id)
        if step.transcript:
            where = step.transcript
            if step.sentence:
                where += f" {t('word.sentence', self.lang)} {step.sentence}"
            parts.append(where)
        return " · ".join(parts)

    # --- finding ----------------------------------------------------------------------------

    @reported
    def action_search(self) -> None:
        if self.transcript is None:
            return

        @reported
        def search(query: str | None) -> None:
            self.hits = find_whole_words(self.transcript, query) if query else []
            view = self.query_one(TranscriptView)
            view.set_search_hits(self.hits)
            self.app.notify(
                t("notify.hits", self.lang, count=len(self.hits), query=query or ""), timeout=3
            )
            if self.hits:
                self.action_next_hit(1)

        self.app.push_screen(TextPrompt(t("prompt.search", self.lang), self.lang), search)

    @reported
    def action_next_hit(self, step: int = 1) -> None:
        if not self.hits:
            return
        view = self.query_one(TranscriptView)
        starts = [hit.start for hit in self.hits]
        # From the start of the hit shown (whose end the cursor is at), else from the cursor.
        here = view.cursor if view.anchor is None else min(view.anchor, view.cursor)
        if step > 0:
            following = [i for i, s in enumerate(starts) if s > here]
            index = following[0] if following else 0
        else:
            preceding = [i for i, s in enumerate(starts) if s < here]
            index = preceding[-1] if preceding else len(starts) - 1
        hit = self.hits[index]
        view.go_to(hit.start, select_to=hit.end)

    @reported
    def action_retrieve(self) -> None:
        @reported
        def retrieve(code_id: str | NewCode | None) -> None:
            if not isinstance(code_id, str):
                return
            # Every coder's, narrowed at first to the coder viewed (the filter offers all).
            codings = self.project.codings(code_id=code_id)
            self.app.push_screen(
                RetrieveScreen(
                    self.project,
                    self._label(code_id),
                    codings,
                    self.lang,
                    coder=self._coder_filter(),
                ),
                partial(self._retrieved, code_id),
            )  # a jump, or a split

        self.app.push_screen(
            CodePicker(
                self.codebook,
                self.lang,
                t("key.retrieve", self.lang),
                matcher=self.matcher,
                memos=self.project.code_memos(self.coder),
            ),
            retrieve,
        )

    @reported
    def action_reports(self) -> None:
        def back(jump: Jump | None) -> None:
            self.reports_place = (screen.query_one("#tabs").active, screen.disagreement_row)
            self._jump(jump)

        screen = ReportsScreen(self.project, self.lang, *self.reports_place)
        self.app.push_screen(screen, back)

    def _jump(self, coding: Coding | Jump | None) -> None:
        """Show a span (a coding, or a unit from the reports) selected in its transcript."""
        if coding is None:
            return
        if self.transcript is None or self.transcript.name != coding.transcript:
            self.open_transcript(coding.transcript)
        view = self.query_one(TranscriptView)
        view.go_to(coding.start, select_to=coding.end)
        view.focus()

    # --- memos, search across transcripts, resuming ---------------------------------------

    @reported
    def action_memos(self) -> None:
        """Every memo of the project in a browser; enter goes where the chosen one is."""
        self.app.push_screen(
            MemoBrowser(self.project.all_memos(), self.codebook, self.coder, self.lang),
            self._go_to_memo,
        )

    @reported
    def _go_to_memo(self, memo: Memo | None) -> None:
        """A coding memo: its coding selected; a transcript's: the transcript; a code's: the
        code in the codebook pane (or its memo, with the pane hidden); the project's: it."""
        if memo is None:
            return
        if memo.kind == "coding":
            self._jump(Jump(memo.transcript, memo.start, memo.end))
        elif memo.kind == "transcript":
            if self.transcript is None or self.transcript.name != memo.transcript:
                self.open_transcript(memo.transcript)
            self.query_one(TranscriptView).focus()
        elif memo.kind == "code":
            node = self._code_nodes.get(memo.code_id)
            if node is None:
                self.app.bell()  # the code left the codebook; its memo stays listed
            elif not self.query_one("#right").display:
                self._edit_code_memo(memo.code_id)
            else:
                tree = self.query_one(CodebookTree)
                parent = node.parent
                while parent is not None:
                    parent.expand()
                    parent = parent.parent
                tree.last_line  # noqa: B018 - lays the tree out, so the node knows its line
                tree.move_cursor(node)
                tree.focus()
        else:
            self._edit_project_memo()

    @reported
    def action_code_memo(self) -> None:
        """Write this coder's memo on the code under the codebook pane's cursor."""
        node = self.query_one(CodebookTree).cursor_node
        if node is None or not node.data:
            self.app.bell()
            return
        self._edit_code_memo(node.data)

    def _edit_code_memo(self, code_id: str) -> None:
        if not self._need_coder():
            return

        @reported
        def save(text: str | None) -> None:
            if text is not None:
                self.project.set_code_memo(code_id, self.coder, text)
                self.app.notify(t("notify.memo_saved", self.lang), timeout=2)

        title = t("prompt.code_memo", self.lang, code=self._label(code_id))
        self.app.push_screen(
            TextPrompt(
                title, self.lang, self.project.code_memo(code_id, self.coder), multiline=True
            ),
            save,
        )

    def _edit_project_memo(self) -> None:
        if not self._need_coder():
            return

        @reported
        def save(text: str | None) -> None:
            if text is not None:
                self.project.set_project_memo(self.coder, text)
                self.app.notify(t("notify.memo_saved", self.lang), timeout=2)

        self.app.push_screen(
            TextPrompt(
                t("prompt.project_memo", self.lang),
                self.lang,
                self.project.project_memo(self.coder),
                multiline=True,
            ),
            save,
        )

    @reported
    def action_search_all(self) -> None:
        """Search every transcript for whole words, as ``report kwic`` does; enter on a hit
        jumps there. A short selection is the first query."""
        view = self.query_one(TranscriptView)
        selected = view.selected_text.strip() if view.has_selection else ""
        query = selected if len(selected) <= 12 and "\n" not in selected else ""
        self.app.push_screen(SearchScreen(self.project, self.lang, query), self._jump)

    def _resume(self) -> None:
        """Open the transcript where this coder stopped, the cursor where it was; without
        one, the transcript last opened in the project, else the first."""
        self._view = self.query_one(TranscriptView)
        names = self.project.transcript_names()
        if not names:
            return
        where = self.project.position(self.coder) if self.coder else None
        if where is None:
            last = self.project.setting("last_transcript")
            self.open_transcript(last if last in names else names[0])
            return
        name, cursor = where
        self.open_transcript(name)
        self.query_one(TranscriptView).go_to(min(cursor, len(self.transcript.text)))
        self._position = where

    def save_position(self) -> None:
        """Remember in the project where this coder is (transcript and cursor) if it moved
        since last time: reopening the project puts them back there. Also called when the
        app closes."""
        if not self.coder or self.transcript is None or self._view is None:
            return
        here = (self.transcript.name, self._view.cursor)
        if here != self._position:
            try:
                self.project.set_position(self.coder, *here)
            except QualcodeError:
                return  # a convenience, never in the way (the project busy): next time
            self._position = here

    # --- coders and language --------------------------------------------------------------

    def _need_coder(self) -> bool:
        if self.coder:
            return True
        self._ask_coder()
        return False

    def _ask_coder(self) -> None:
        @reported
        def save(name: str | None) -> None:
            if name and name.strip():
                settings = self.qualcode.settings
                settings.coder = name.strip()
                settings.save()
                self.project.ensure_coder(settings.coder)
                self.coder = self.view_coder = settings.coder
                self.app.notify(t("notify.coder", self.lang, coder=self.coder), timeout=2)

        self.app.push_screen(
            TextPrompt(t("prompt.coder_name", self.lang), self.lang, self.coder), save
        )

    @reported
    def action_switch_view(self) -> None:
        coders = sorted(set(self.project.coders()) | {self.coder} - {""})
        items = [(c, c) for c in coders] + [(ALL_CODERS, t("word.all_coders", self.lang))]

        @reported
        def switch(chosen: str | None) -> None:
            if chosen:
                self.view_coder = chosen

        self.app.push_screen(
            ChoiceList(
                t("choice.switch_coder", self.lang), items, self.lang, current=self.view_coder
            ),
            switch,
        )

    @reported
    def action_set_coder(self) -> None:
        self._ask_coder()

    @reported
    def action_speaker_role(self) -> None:
        """Set the role of a speaker of the open transcript (interviewer, respondent, other):
        choose the speaker (the one speaking at the cursor is offered first), then the role.
        It is stored at once and kept when the transcript is imported again."""
        from ..roles import ROLES

        stored, lang = self.transcript, self.lang
        if stored is None or not stored.speakers:
            self.app.notify(t("notify.no_speakers", lang), severity="warning")
            return
        cursor = self.query_one(TranscriptView).cursor
        here = next(
            (turn.speaker for turn in stored.turns if turn.start <= cursor < turn.end),
            stored.speakers[0].name,
        )
        current = {s.name: s.role for s in stored.speakers}
        items = [
            (
                s.name,
                (
                    f"{s.name or '?'}  {t(f'role.{s.role}', lang)}  "
                    f"{t('word.turns', lang, n=s.turns)}"
                ),
            )
            for s in stored.speakers
        ]

        def choose_role(speaker: str | None) -> None:
            if speaker is None:
                return

            @reported
            def save(role: str | None) -> None:
                if role is None:
                    return
                changed = self.project.set_speaker_role(stored.name, speaker, role)
                stored.speakers = self.project.speakers(stored.name).get(stored.name, [])
                self.app.notify(
                    t(
                        "notify.role_set",
                        lang,
                        speaker=speaker or "?",
                        n=len(changed),
                        role=t(f"role.{role}", lang),
                    ),
                    timeout=2,
                )

            self.app.push_screen(
                ChoiceList(
                    t("choice.role", lang, speaker=speaker or "?"),
                    [(role, t(f"role.{role}", lang)) for role in ROLES],
                    lang,
                    current=current.get(speaker),
                ),
                save,
            )

        self.app.push_screen(
            ChoiceList(t("choice.speaker", lang), items, lang, current=here), choose_role
        )

    @reported
    def action_review(self) -> None:
        """Mark the open transcript as reviewed by the coder (read through: where no code was
        applied, none applies, and agreement counts that as absence), or take the mark off
        when it is there. Stored at once, undoable."""
        stored = self.transcript
        if stored is None or not self.coder:
            return
        reviewed = (self.coder, stored.name) not in self.project.reviewed(self.coder)
        self.project.set_reviewed(stored.name, self.coder, reviewed)
        self.app.notify(
            t(
                "notify.reviewed" if reviewed else "notify.unreviewed",
                self.lang,
                transcript=stored.name,
                coder=self.coder,
            ),
            timeout=2,
        )

    @reported
    def action_language(self) -> None:
        self.qualcode.set_language("en" if self.lang == "zh" else "zh")
        self.translate()
        self.app.notify(t("notify.language", self.lang), timeout=2)

    # --- help and the command palette -------------------------------------------------------

    @reported
    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.key_map(), self.lang))

    def key_map(self) -> list[tuple[str, str]]:
        """Rows of the help: every key of the transcript, the workbench and the codebook (as
        rebound in settings.json), how to reach another transcript, and what 1-9 apply."""
        rows: dict[str, tuple[list[str], str]] = {}
        keymap = self.app._keymap
        for node in (self.query_one(TranscriptView), self, self.query_one(CodebookTree)):
            bindings = node._bindings.copy()
            if keymap:
                bindings.apply_keymap(keymap)
            for binding in (b for group in bindings.key_to_bindings.values() for b in group):
                if binding.id in BINDING_DESCRIPTIONS:
                    keys, _ = rows.setdefault(
                        binding.id, ([], t(BINDING_DESCRIPTIONS[binding.id], self.lang))
                    )
                    key = binding.key_display or self.app.get_key_display(binding)
                    if key not in keys:  # a rebound key replaces each of the default ones
                        keys.append(key)
        # First what no single binding says: how to open another transcript, what 1-9 do
        # and which code each key applies in this project.
        table = [
            ("tab ↑↓ ⏎", t("help.open_transcript", self.lang)),
            ("1–9", t("help.favourites", self.lang)),
        ]
        labels = self.codebook.by_id()
        for key, code_id in sorted(self.favourites.items()):
            code = labels.get(code_id)
            table.append((str(key), f"{code.label if code else code_id} ({code_id})"))
        table.append(("m", t("help.code_memo", self.lang)))
        # A letter before the arrow or symbol that does the same: "j / ↓".
        table += [
            (" / ".join(sorted(keys, key=lambda k: not (len(k) == 1 and k.isalpha()))), what)
            for keys, what in rows.values()
        ]
        return table

    def commands(self) -> Iterable[SystemCommand]:
        """Every action of the workbench in the command palette (ctrl+p)."""
        lang = self.lang
        for action in ACTIONS:
            if action.palette and action.id in BINDING_DESCRIPTIONS:
                key = BINDING_DESCRIPTIONS[action.id]
                name, _, argument = action.action.partition("(")
                method = getattr(self, f"action_{name}")
                call = partial(method, *_arguments(argument.rstrip(")"))) if argument else method
                yield SystemCommand(t(key, lang), t(key, "en") if lang != "en" else "", call)


def _arguments(text: str) -> tuple[object, ...]:
    """An action's arguments as written in its binding: ``1`` or ``transcripts``."""
    return tuple(int(a) if a.lstrip("-").isdigit() else a.strip("'\" ") for a in text.split(","))


def find_whole_words(transcript: StoredTranscript, query: str) -> list[Span]:
    """Hits of ``query`` that start and end on word boundaries; if there are none, every
    substring hit (a query may be part of a longer word, e.g. 宣传 in 宣传栏)."""
    text = transcript.text
    hits, start = [], text.find(query)
    while start >= 0:
        hits.append(Span(start, start + len(query)))
        start = text.find(query, start + 1)
    boundaries = {0, *transcript.word_ends}
    whole = [h for h in hits if h.start in boundaries and h.end in boundaries]
    return whole or hits
