"""The coding workbench: transcripts on the left, the transcript in the middle, the
codebook on the right. Every change goes through :class:`qualcode.store.Project` and is
committed before the screen shows it.

Build the app with :func:`build_app`; the CLI and the tests both do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import ClassVar, ParamSpec, TypeVar

from rich.text import Text
from textual import on, work
from textual._context import active_app
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, Tree
from textual.widgets.option_list import Option

from ..codematch import CodeMatcher
from ..errors import ProjectError, QualcodeError
from ..model import Code, Codebook, Coding, Span
from ..settings import Settings, home
from ..store import Project, StoredTranscript, TranscriptSummary
from .dialogs import ChoiceList, CodePicker, HelpScreen, NewCode, TextPrompt
from .i18n import BINDING_DESCRIPTIONS, default_language, t, translate_bindings
from .reports import Jump, ReportsScreen
from .retrieve import RetrieveScreen
from .transcript_view import CodingMark, TranscriptView

P = ParamSpec("P")
R = TypeVar("R")

ALL_CODERS = "*"


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


class CodebookTree(Tree[str]):
    """The codebook: colour, label, English label, count of codings; digits bind favourites."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(str(n), f"app.bind_favourite({n})", show=False) for n in range(1, 10)
    ]


class QualcodeApp(App[None]):
    """The workbench on one open project."""

    CSS_PATH = "qualcode.tcss"
    TITLE = "qualcode"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c,enter", "apply_code", "Apply code", id="apply_code"),
        Binding("i", "in_vivo", "In-vivo", show=False, id="in_vivo"),
        Binding("x,delete", "remove_coding", "Remove coding", id="remove_coding"),
        Binding("m", "memo", "Memo", show=False, id="memo"),
        Binding("M", "transcript_memo", "Transcript memo", show=False, id="transcript_memo"),
        Binding("ctrl+z", "undo", "Undo", id="undo"),
        Binding("ctrl+y", "redo", "Redo", show=False, id="redo"),
        Binding("slash", "search", "Search", id="search"),
        Binding("n", "next_hit(1)", "Next hit", show=False, id="next_hit"),
        Binding("N", "next_hit(-1)", "Previous hit", show=False, id="previous_hit"),
        Binding("r", "retrieve", "Retrieve", id="retrieve"),
        Binding("ctrl+r", "reports", "Reports", id="reports"),
        Binding("o", "switch_view", "Coder", show=False, id="switch_view"),
        Binding("s", "next_suggestion", "Next suggestion", show=False, id="next_suggestion"),
        Binding("a", "accept_suggestion", "Accept", show=False, id="accept_suggestion"),
        Binding("R", "reject_suggestion", "Reject", show=False, id="reject_suggestion"),
        Binding("L", "language", "Language", show=False, id="language"),
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("tab", "focus_next", "Next pane", show=False, id="focus_next"),
        Binding("q", "quit", "Quit", id="quit"),
        *(
            Binding(str(n), f"favourite({n})", show=False, id=f"favourite_{n}")
            for n in range(1, 10)
        ),
    ]

    def __init__(self, project: Project, settings: Settings, *, lang: str | None = None):
        super().__init__()
        self.project = project
        self.settings = settings
        self.lang = lang or settings.language or default_language()
        self.coder = settings.coder
        self.view_coder = settings.coder  # whose codings are shown; ALL_CODERS for everyone
        self.codebook: Codebook = project.codebook()
        self.matcher: CodeMatcher | None = None
        self.transcript: StoredTranscript | None = None
        self.hits: list[Span] = []
        self.reports_place: tuple[str, int] = ("frequencies", 0)  # tab and disagreement shown
        if settings.keys:
            self.set_keymap(settings.keys)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """A notification shown as written: it quotes labels, names and search queries,
        whose brackets are not markup (``[/]`` would stop the app, ``[笑]`` would vanish)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The workbench's keys act on the workbench only: on a dialog or the reports screen
        a digit must not code the sentence hidden behind it."""
        return len(self.screen_stack) == 1 or action not in _WORKBENCH_ACTIONS

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
        self.sub_title = self.project.name
        self._translate()
        self._fill_transcripts()
        self._fill_codebook()
        names = self.project.transcript_names()
        if names:
            self.open_transcript(self.project.setting("last_transcript") or names[0])
        self.query_one(TranscriptView).focus()
        self._prepare_matcher()
        if not self.coder:
            self._ask_coder()

    @work(thread=True, exclusive=True, group="matcher")
    def _prepare_matcher(self) -> None:
        # Pinyin for the picker is built off the UI thread so the first paint never waits.
        matcher = CodeMatcher(self.codebook)
        self.call_from_thread(setattr, self, "matcher", matcher)

    def _translate(self) -> None:
        """Titles, footer and help in the UI language."""
        self.query_one("#left").border_title = t("pane.transcripts", self.lang)
        self.query_one("#right").border_title = t("pane.codebook", self.lang)
        for node in (self, self.query_one(TranscriptView)):
            translate_bindings(node, self.lang)
        self.refresh_bindings()
        self._update_status()

    def _fill_transcripts(self) -> None:
        listing = self.query_one("#transcripts", OptionList)
        listing.clear_options()
        listing.add_options(
            Option(self._transcript_row(s), id=s.name)
            for s in self.project.summaries(coder=self._coder_filter())
        )
        if self.transcript is not None:
            listing.highlighted = listing.get_option_index(self.transcript.name)

    def _transcript_row(self, summary: TranscriptSummary) -> Text:
        """Name and % of sentences coded, then the respondent's first attributes."""
        case = self.project.transcript_cases().get(summary.name, summary.name)
        attributes = self.project.attributes().get(case, {})
        row = Text(summary.name, style="bold")
        row.append(f"  {summary.percent_coded:.0f}%", style="green")
        values = [attributes.get(a, "") for a in self.project.attribute_names()[:3]]
        row.append("\n" + " · ".join(v for v in values if v), style="dim")
        return row

    def _update_progress(self) -> None:
        """Redraw the current transcript's row of the list (the others did not change)."""
        if self.transcript is not None:
            (summary,) = self.project.summaries(self.transcript.name, self._coder_filter())
            self.query_one("#transcripts", OptionList).replace_option_prompt(
                summary.name, self._transcript_row(summary))

    def _fill_codebook(self) -> None:
        counts = self.project.code_counts(self._coder_filter())
        favourites = {code_id: n for n, code_id in enumerate(self._favourites(), start=1)}
        tree = self.query_one(CodebookTree)
        tree.clear()
        tree.root.set_label(Text(self.codebook.name, style="bold"))
        nodes = {}
        for code, parent, _ in self.codebook.walk():
            label = Text()
            label.append("■ ", style=code.color or "white")
            label.append(code.label)
            if code.id in counts:
                label.append(f" {counts[code.id]}", style="bold green")
            if code.id in favourites:
                label.append(f" [{favourites[code.id]}]", style="cyan")
            if code.label_en:
                label.append(f" {code.label_en}", style="dim")
            parent_node = nodes[parent.id] if parent else tree.root
            nodes[code.id] = parent_node.add(label, data=code.id, expand=True,
                                             allow_expand=bool(code.children))
        tree.root.expand()
        tree.show_root = False

    # --- state shown ----------------------------------------------------------------------

    def _coder_filter(self) -> str | None:
        return None if self.view_coder == ALL_CODERS else self.view_coder

    def _visible_codings(self) -> list[Coding]:
        """The codings drawn: the viewed coder's (or everyone's) confirmed ones, and every
        suggestion waiting for review, whoever (or whatever rule) made it."""
        if self.transcript is None:
            return []
        viewed = self._coder_filter()
        return [
            c for c in self.project.codings(self.transcript.name, status=None)
            if (c.status == "confirmed" and viewed in (None, c.coder))
            or c.status == "suggested"  # unplaced and rejected codings are only listed
        ]

    def _marks(self) -> list[CodingMark]:
        codes = self.codebook.by_id()
        marks = []
        for c in self._visible_codings():
            code = codes.get(c.code_id)
            marks.append(CodingMark(c.start, c.end, c.code_id, code.label if code else c.code_id,
                                    code.color if code else "", c.status == "suggested", c.id))
        return marks

    def open_transcript(self, name: str) -> None:
        """Show a transcript (by name or unique prefix)."""
        self.transcript = self.project.transcript(name)
        stored = self.transcript
        view = self.query_one(TranscriptView)
        view.load(stored.text, [Span(s.start, s.end) for s in stored.sentences],
                  stored.word_ends, stored.turns, self._marks())
        if stored.sentences:
            # On the sentence the view highlights, so that the first j moves on from it.
            view.go_to(stored.sentences[0].start)
        self.hits = []
        self.query_one(TranscriptView).border_title = stored.name
        listing = self.query_one("#transcripts", OptionList)
        listing.highlighted = self.project.transcript_names().index(stored.name)
        self.project.set_setting("last_transcript", stored.name)
        self._update_status()

    def _refresh_codings(self, *, everywhere: bool = False) -> None:
        """After a change: redraw the transcript's codings, the counts and the progress
        (of every transcript when the change may lie outside the one shown)."""
        self.query_one(TranscriptView).set_codings(self._marks())
        self._fill_codebook()
        if everywhere:
            self._fill_transcripts()
        else:
            self._update_progress()
        self._update_status()

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        view = self.query_one(TranscriptView)
        parts = [f"{t('word.coder', self.lang)}: {self.coder or '?'}"]
        if self.view_coder != self.coder:
            shown = t("word.all_coders", self.lang) if self.view_coder == ALL_CODERS else (
                self.view_coder)
            parts.append(f"{t('word.viewing', self.lang)}: {shown}")
        if self.transcript is not None:
            index = view.current_sentence_index
            total = len(self.transcript.sentences)
            parts.append(self.transcript.name)
            if index is not None:
                parts.append(f"{t('word.sentence', self.lang)} {index + 1}/{total}")
            span = view.selection
            parts.append(f"{span.start}:{span.end}")
        self.query_one("#status", Static).update(" · ".join(parts))

    @on(TranscriptView.CursorMoved)
    @on(TranscriptView.SelectionChanged)
    def _view_changed(self) -> None:
        self._update_status()

    @on(OptionList.OptionSelected, "#transcripts")
    @reported
    def _transcript_chosen(self, event: OptionList.OptionSelected) -> None:
        self.open_transcript(event.option.id)
        self.query_one(TranscriptView).focus()

    @on(Tree.NodeSelected, "#codebook")
    @reported
    def _code_chosen(self, event: Tree.NodeSelected) -> None:
        if event.node.data:
            self._apply(event.node.data)

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
            coding = self.project.add_coding(self.transcript.name, span.start, span.end,
                                             code_id, self.coder, text_hash=self.transcript.hash)
        except ProjectError:
            name = self.transcript.name
            if self.project.transcript_hashes().get(name) != self.transcript.hash:
                self.open_transcript(name)  # re-imported meanwhile: show the text as it is now
            raise
        self.query_one(TranscriptView).clear_selection()
        self._refresh_codings()
        self.notify(t("notify.coded", self.lang, code=self._label(code_id)), timeout=2)
        self.post_message(Coded(coding))

    def _label(self, code_id: str) -> str:
        code = self.codebook.by_id().get(code_id)
        return f"{code.label} ({code_id})" if code else code_id

    def _pick_code(self, initial_label: str = "") -> None:
        @reported
        def chosen(result: str | NewCode | None) -> None:
            if isinstance(result, NewCode):
                self.project.add_code(Code(id=result.code_id, label=result.label),
                                      result.parent_id, coder=self.coder)
                self._codebook_changed()
                self.notify(t("notify.code_created", self.lang, code=result.label), timeout=2)
                result = result.code_id
            if result:
                self._apply(result)

        self.push_screen(CodePicker(self.codebook, self.lang, initial_label=initial_label,
                                    matcher=self.matcher), chosen)

    def _codebook_changed(self, *, everywhere: bool = False) -> None:
        """After the codebook may have changed: reload it, rebuild the picker's pinyin and
        redraw (see `_refresh_codings` for ``everywhere``)."""
        self.codebook = self.project.codebook()
        self.matcher = None
        self._prepare_matcher()
        self._refresh_codings(everywhere=everywhere)

    @reported
    def action_apply_code(self) -> None:
        if self.transcript is not None:
            self._pick_code()

    @reported
    def action_in_vivo(self) -> None:
        view = self.query_one(TranscriptView)
        if not view.has_selection:
            self.notify(t("notify.no_selection", self.lang), severity="warning")
            return
        self._pick_code(initial_label=view.selected_text.strip())

    @reported
    def action_favourite(self, n: int) -> None:
        favourites = self._favourites()
        if n > len(favourites) or not favourites[n - 1]:
            self.notify(t("notify.no_favourite", self.lang, n=n), severity="warning")
            return
        self._apply(favourites[n - 1])

    def _favourites(self) -> list[str]:
        """Code ids on keys 1-9: the project's choice, else the first nine leaf codes. A key
        without a code (or whose code is gone) has "", so the others keep their digits."""
        codes = self.codebook.by_id()
        saved = [c if c in codes else "" for c in self.project.setting("favourites").split(",")]
        if any(saved):
            return saved[:9]
        return [c.id for c, _, _ in self.codebook.walk() if not c.children][:9]

    @reported
    def action_bind_favourite(self, n: int) -> None:
        node = self.query_one(CodebookTree).cursor_node
        if node is None or not node.data:
            return
        favourites = self._favourites()
        favourites += [""] * (9 - len(favourites))
        if node.data in favourites:
            favourites[favourites.index(node.data)] = ""
        favourites[n - 1] = node.data
        self.project.set_setting("favourites", ",".join(favourites))
        self._fill_codebook()

    def _overlapping(self) -> list[Coding]:
        """The codings drawn that overlap the selection (or the current sentence)."""
        span = self._target()
        if span is None:
            return []
        return [c for c in self._visible_codings() if c.start < span.end and span.start < c.end]

    def _codings_here(self) -> list[Coding]:
        """This coder's codings overlapping the selection (or the current sentence)."""
        return [c for c in self._overlapping() if c.coder == self.coder]

    def _choose_coding(self, codings: list[Coding], title: str, then) -> None:
        if not codings:
            self.notify(t("notify.no_coding_here", self.lang), severity="warning")
        elif len(codings) == 1:
            then(codings[0])
        else:
            by_id = {str(c.id): c for c in codings}
            items = [(str(c.id), f"{self._label(c.code_id)}  {c.text[:30]}") for c in codings]
            self.push_screen(ChoiceList(title, items, self.lang),
                             lambda chosen: chosen and then(by_id[chosen]))

    @reported
    def action_remove_coding(self) -> None:
        @reported
        def remove(coding: Coding) -> None:
            self.project.remove_coding(coding.id)
            self._refresh_codings()
            self.notify(t("notify.removed", self.lang, code=self._label(coding.code_id)),
                        timeout=2)

        self._choose_coding(self._codings_here(), t("choice.remove_coding", self.lang), remove)

    @reported
    def action_memo(self) -> None:
        @reported
        def edit(coding: Coding) -> None:
            @reported
            def save(memo: str | None) -> None:
                if memo is not None:
                    self.project.set_coding_memo(coding.id, memo)
                    self.notify(t("notify.memo_saved", self.lang), timeout=2)

            self.push_screen(TextPrompt(t("prompt.memo", self.lang), self.lang, coding.memo,
                                        multiline=True), save)

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
                self.notify(t("notify.memo_saved", self.lang), timeout=2)

        current = self.project.transcript_memo(name, self.coder)
        self.push_screen(TextPrompt(f"{t('prompt.transcript_memo', self.lang)}: {name}",
                                    self.lang, current, multiline=True), save)

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
            self.notify(t("notify.no_suggestion_here", self.lang), severity="warning")
            return
        if accept:
            if not self._need_coder():
                return
            autocode.accept(self.project, here, coder=self.coder)
        else:
            autocode.reject(self.project, here)
        self._refresh_codings()
        message = "notify.accepted" if accept else "notify.rejected"
        self.notify(t(message, self.lang, count=len(here)), timeout=2)
        self.action_next_suggestion()

    @reported
    def action_next_suggestion(self) -> None:
        """Select the next suggestion after the cursor, in this transcript or the next one
        that has any."""
        from .. import autocode

        waiting = autocode.suggestions(self.project)
        if not waiting:
            self.notify(t("notify.no_suggestions", self.lang), timeout=2)
            return
        names = self.project.transcript_names()
        here = names.index(self.transcript.name) if self.transcript else 0
        cursor = self.query_one(TranscriptView).cursor
        following = [c for c in waiting
                     if (names.index(c.transcript), c.start) > (here, cursor)]
        self._jump((following or waiting)[0])

    # --- undo -------------------------------------------------------------------------------

    @reported
    def action_undo(self) -> None:
        self._after_history(self.project.undo(), "notify.undone", "notify.nothing_to_undo")

    @reported
    def action_redo(self) -> None:
        self._after_history(self.project.redo(), "notify.redone", "notify.nothing_to_redo")

    def _after_history(self, action: str | None, done: str, nothing: str) -> None:
        if action is None:
            self.notify(t(nothing, self.lang), timeout=2)
            return
        # The action may have added or removed a code, or changed codings anywhere.
        self._codebook_changed(everywhere=True)
        self.notify(t(done, self.lang, action=action), timeout=2)

    # --- finding ----------------------------------------------------------------------------

    @reported
    def action_search(self) -> None:
        if self.transcript is None:
            return

        @reported
        def search(query: str | None) -> None:
            if not query:
                self.hits = []
            else:
                self.hits = find_whole_words(self.transcript, query)
            view = self.query_one(TranscriptView)
            view.set_search_hits(self.hits)
            self.notify(t("notify.hits", self.lang, count=len(self.hits), query=query or ""),
                        timeout=3)
            if self.hits:
                self.action_next_hit(1)

        self.push_screen(TextPrompt(t("prompt.search", self.lang), self.lang), search)

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
            codings = self.project.codings(code_id=code_id, coder=self._coder_filter())
            self.push_screen(RetrieveScreen(self.project, self._label(code_id), codings,
                                            self.lang), self._jump)

        self.push_screen(CodePicker(self.codebook, self.lang, t("key.retrieve", self.lang),
                                    matcher=self.matcher), retrieve)

    @reported
    def action_reports(self) -> None:
        def back(jump: Jump | None) -> None:
            self.reports_place = (screen.query_one("#tabs").active, screen.disagreement_row)
            self._jump(jump)

        screen = ReportsScreen(self.project, self.lang, *self.reports_place)
        self.push_screen(screen, back)

    def _jump(self, coding: Coding | Jump | None) -> None:
        """Show a span (a coding, or a unit from the reports) selected in its transcript."""
        if coding is None:
            return
        if self.transcript is None or self.transcript.name != coding.transcript:
            self.open_transcript(coding.transcript)
        view = self.query_one(TranscriptView)
        view.go_to(coding.start, select_to=coding.end)
        view.focus()

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
                self.coder = self.view_coder = self.settings.coder = name.strip()
                self.settings.save()
                self.project.ensure_coder(self.coder)
                self._refresh_codings(everywhere=True)
                self.notify(t("notify.coder", self.lang, coder=self.coder), timeout=2)

        self.push_screen(TextPrompt(t("prompt.coder_name", self.lang), self.lang,
                                    self.coder), save)

    @reported
    def action_switch_view(self) -> None:
        coders = sorted(set(self.project.coders()) | {self.coder} - {""})
        items = [(c, c) for c in coders] + [(ALL_CODERS, t("word.all_coders", self.lang))]

        @reported
        def switch(chosen: str | None) -> None:
            if chosen:
                self.view_coder = chosen
                self._refresh_codings(everywhere=True)

        self.push_screen(ChoiceList(t("choice.switch_coder", self.lang), items, self.lang,
                                    current=self.view_coder), switch)

    @reported
    def action_set_coder(self) -> None:
        self._ask_coder()

    @reported
    def action_language(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"
        self.settings.language = self.lang
        self.settings.save()
        self._translate()
        self.notify(t("notify.language", self.lang), timeout=2)

    @reported
    def action_help(self) -> None:
        rows = []
        for _, binding, enabled, _ in self.screen.active_bindings.values():
            if binding.id in BINDING_DESCRIPTIONS and enabled:
                rows.append((binding.key_display or self.get_key_display(binding),
                             binding.description))
        self.push_screen(HelpScreen(rows, self.lang))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action of the workbench in the command palette (ctrl+p)."""
        yield from super().get_system_commands(screen)
        lang = self.lang
        for action, key in (
            ("apply_code", "key.apply_code"), ("in_vivo", "key.in_vivo"),
            ("remove_coding", "key.remove_coding"), ("memo", "key.memo"),
            ("transcript_memo", "key.transcript_memo"), ("undo", "key.undo"),
            ("redo", "key.redo"), ("search", "key.search"), ("next_hit", "key.next_hit"),
            ("reports", "key.reports"),
            ("retrieve", "key.retrieve"),
            ("switch_view", "key.switch_coder"), ("set_coder", "key.set_coder"),
            ("next_suggestion", "key.next_suggestion"),
            ("accept_suggestion", "key.accept_suggestion"),
            ("reject_suggestion", "key.reject_suggestion"),
            ("language", "key.language"), ("help", "key.help"),
        ):
            yield SystemCommand(t(key, lang), t(key, "en") if lang != "en" else "",
                                getattr(self, f"action_{action}"))

class Coded(Message):
    """Posted after a coding is committed and shown (benchmarks and the crash test hook it)."""

    def __init__(self, coding: Coding) -> None:
        super().__init__()
        self.coding = coding


# Every action bound on the workbench except quitting, which any screen may do.
_WORKBENCH_ACTIONS = {
    b.action.split("(")[0] for b in QualcodeApp.BINDINGS if b.action != "quit"
} | {"bind_favourite"}


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


def build_app(project: str | Path | None = None, *, lang: str | None = None,
              coder: str | None = None) -> QualcodeApp:
    """The workbench on ``project`` (a folder), or on the sample study kept in qualcode's
    home folder (created there on first use, so the repository is never changed)."""
    from ..study import open_sample_project

    settings = Settings.load()
    if coder:
        settings.coder = coder
    opened = Project.open(project) if project else open_sample_project(home() / "sample-study")
    return QualcodeApp(opened, settings, lang=lang)
