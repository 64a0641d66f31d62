"""Modal dialogs of the coding workbench: pick a code, type a text, choose one of a few
things, read the keys. Each is a :class:`~textual.screen.ModalScreen` that hands its result
to the ``push_screen`` callback through ``dismiss`` (``None`` when cancelled), and speaks
the language it is given.

Chinese text takes two terminal cells a character: widths here are in cells and columns are
padded with :meth:`Content.truncate`, never with ``len()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from qualcode.codebook import CODE_ID
from qualcode.codematch import CodeMatcher, suggest_code_id
from qualcode.model import Code, Codebook
from qualcode.tui.i18n import t

Result = TypeVar("Result")

_NEW = "+new"  # option ids that no code id can be: CODE_ID has no "+"
_TOP = "+top"
_MAX_LABEL_CELLS = 20  # column widths in the code list, in terminal cells
_MAX_LABEL_EN_CELLS = 26


@dataclass(frozen=True, slots=True)
class NewCode:
    """A code the researcher asked for in the picker; the caller adds it to the codebook."""

    label: str
    parent_id: str | None  # None: a top-level code
    code_id: str


_DIALOG_CSS = """
    align: center middle;
    & > #dialog {
        width: 84;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: round $primary;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    & OptionList {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
"""


class _CodeRows:
    """Lines of a code list: colour swatch, label, English label dimmed, id, in columns as
    wide as the codebook needs (Chinese labels measured in cells)."""

    def __init__(self, codes: list[Code]) -> None:
        self.label_cells = min(max((cell_len(c.label) for c in codes), default=0), _MAX_LABEL_CELLS)
        self.label_en_cells = min(
            max((cell_len(c.label_en) for c in codes), default=0), _MAX_LABEL_EN_CELLS
        )

    def __call__(self, code: Code) -> Content:
        return Content.assemble(
            ("■ ", code.color or "$text-muted"),
            Content(code.label).truncate(self.label_cells, ellipsis=True, pad=True),
            "  ",
            Content.styled(code.label_en, "dim").truncate(
                self.label_en_cells, ellipsis=True, pad=True
            ),
            "  " if self.label_en_cells else "",
            (code.id, "$text-muted italic"),
        )


class _Dialog(ModalScreen[Result]):
    """A centred, bordered dialog whose lists shrink to fit a short terminal.

    ``FIT`` names the widgets that may shrink, with the rows the rest of the dialog needs
    beside them and the most rows they take. Done on resize because Textual sizes an
    auto-height container from a child's ``max-height`` only when it is in cells.
    """

    FIT: ClassVar[tuple[tuple[str, int, int], ...]] = ()

    def on_resize(self, event: events.Resize) -> None:
        room = event.size.height * 9 // 10 - 2  # the dialog's max-height less its border
        for selector, others, most in self.FIT:
            for widget in self.query(selector):
                widget.styles.max_height = max(3, min(most, room - others))


class ListScreen(ModalScreen[Result]):
    """A large centred dialog around a list (``OptionList``) with what narrows it above:
    escape closes it with None; ↑ ↓ page-up page-down move in the list while typing stays in
    an input. Retrieve, the memo browser and search across transcripts are such screens."""

    DEFAULT_CSS = """
    ListScreen {
        align: center middle;
        & > #dialog {
            width: 90%; height: 85%;
            border: round $primary; border-title-style: bold;
            border-subtitle-color: $text-muted; background: $surface; padding: 0 1;
        }
        & OptionList { height: 1fr; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
    ]

    def action_move(self, step: int) -> None:
        listing = self.query_one(OptionList)
        listing.action_cursor_up() if step < 0 else listing.action_cursor_down()

    def action_page(self, step: int) -> None:
        listing = self.query_one(OptionList)
        listing.action_page_up() if step < 0 else listing.action_page_down()

    def action_close(self) -> None:
        self.dismiss(None)


class CodePicker(_Dialog[str | NewCode | None]):
    """Pick a code by typing part of its label, pinyin initials, English label or id.

    Dismisses with the chosen code's id, with a :class:`NewCode` when the researcher creates
    one (the last row, or ctrl+n), or ``None`` on escape. ``initial_label`` pre-fills the
    query, for in-vivo coding from the selected words. Pass ``matcher`` to reuse the pinyin
    of a codebook already prepared. Below the list, the highlighted code's definition
    (description, include, exclude, examples) and the coder's memo on it from ``memos``
    (code id -> memo), so that the researcher codes against the definition, not the label.
    """

    DEFAULT_CSS = (
        "CodePicker {"
        + _DIALOG_CSS
        + """
        & #codes { height: auto; max-height: 18; }
        & #definition {
            height: auto; max-height: 8; border-top: solid $primary-muted; padding: 0 0;
        }
        & #parents { height: auto; max-height: 12; }
        & #new-step { display: none; height: auto; }
        & #search-step { height: auto; }
        & .field-label { color: $text-muted; }
        & #id-row { height: auto; }
        & #id-row Label { padding: 1 1 0 0; color: $text-muted; }
        & #code-id { width: 1fr; }
        & #error { color: $error; height: auto; }
    }"""
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Cancel", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("ctrl+n", "new_code", show=False),
    ]
    # Beside the codes: the query input and the definition. Beside the parents: their label
    # and filter, the id row and the error line.
    FIT = (("#codes", 11, 18), ("#definition", 9, 8), ("#parents", 8, 12))

    def __init__(
        self,
        codebook: Codebook,
        lang: str,
        title: str | None = None,
        initial_label: str = "",
        *,
        matcher: CodeMatcher | None = None,
        memos: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.codebook = codebook
        self.memos = memos or {}
        self.lang = lang
        self.title_text = title or t("picker.title", lang)
        self.initial_label = initial_label
        self.matcher = matcher or CodeMatcher(codebook)
        self._codes = self.matcher.codes
        self.codebook_codes = {code.id: code for code in self._codes}
        self._row = _CodeRows(self._codes)
        self._taken = {code.id for code in self._codes}
        self._new_label = ""
        self._suggested_id = ""  # the id last filled in; any other value was typed

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical(id="dialog"):
            with Vertical(id="search-step"):
                yield Input(self.initial_label, t("picker.placeholder", lang), id="query")
                yield OptionList(id="codes", markup=False)
                yield Static(id="definition")
            with Vertical(id="new-step"):
                yield Label(t("picker.parent", lang), classes="field-label")
                yield Input(placeholder=t("picker.parent_placeholder", lang), id="parent-query")
                yield OptionList(id="parents", markup=False)
                with Horizontal(id="id-row"):
                    yield Label(t("picker.code_id", lang))
                    yield Input(id="code-id", restrict=r"[A-Za-z0-9_.\-]*")
                yield Static(id="error")

    def _titles(self, title: str, hint: str) -> None:
        dialog = self.query_one("#dialog")
        dialog.border_title = Content(title)  # Content: a label is text, never markup
        dialog.border_subtitle = Content(hint)

    def on_mount(self) -> None:
        self._titles(self.title_text, t("picker.hint", self.lang))
        for option_list in self.query(OptionList):
            option_list.can_focus = False  # typing stays in the input above the list
        self._show_codes(self.initial_label)
        codes = self.query_one("#codes", OptionList)
        label = self.initial_label.strip()
        if label and not any(code.label == label for code in self._codes):
            codes.highlighted = codes.option_count - 1  # in-vivo: offer the new code first
        self.query_one("#query", Input).focus()

    # Step one: search

    def _code_options(self, query: str) -> list[Option | None]:
        """A row for each code matching ``query``, best first (ids are code ids)."""
        return [
            Option(self._row(match.code), id=match.code.id) for match in self.matcher.match(query)
        ]

    def _show_codes(self, query: str) -> None:
        options = self._code_options(query)
        label = query.strip()
        if label:
            if options:
                options.append(None)  # a rule between the codes and the new code
            else:
                options.append(Option(t("picker.no_match", self.lang), disabled=True))
            new_row = Content.styled(t("picker.new_code", self.lang, label=label), "$accent")
            options.append(Option(new_row, id=_NEW))
        codes = self.query_one("#codes", OptionList)
        codes.set_options(options)
        codes.action_first()
        self._show_definition()

    @on(OptionList.OptionHighlighted, "#codes")
    def _show_definition(self) -> None:
        option = self.query_one("#codes", OptionList).highlighted_option
        code = self.codebook_codes.get(option.id or "") if option is not None else None
        definition = self.query_one("#definition", Static)
        definition.display = code is not None
        if code is not None:
            definition.update(code_definition(code, self.lang, self.memos.get(code.id, "")))

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._show_codes(event.value)

    @on(Input.Submitted, "#query")
    def _query_submitted(self) -> None:
        self._pick(self.query_one("#codes", OptionList).highlighted_option)

    @on(OptionList.OptionSelected, "#codes")
    def _code_clicked(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option)

    def _pick(self, option: Option | None) -> None:
        if option is None or option.disabled:
            self.app.bell()
        elif option.id == _NEW:
            self.action_new_code()
        else:
            self.dismiss(option.id)

    def _active_list(self) -> OptionList:
        return self.query_one("#parents" if self._new_label else "#codes", OptionList)

    def action_move(self, step: int) -> None:
        option_list = self._active_list()
        if step < 0:
            option_list.action_cursor_up()
        else:
            option_list.action_cursor_down()

    def action_page(self, step: int) -> None:
        option_list = self._active_list()
        if step < 0:
            option_list.action_page_up()
        else:
            option_list.action_page_down()

    def action_back(self) -> None:
        if self._new_label:
            self._new_label = ""
            self._titles(self.title_text, t("picker.hint", self.lang))
            self.query_one("#new-step").display = False
            self.query_one("#search-step").display = True
            self.query_one("#query", Input).focus()
        else:
            self.dismiss(None)

    # Step two: where the new code goes, and its id

    def action_new_code(self) -> None:
        label = self.query_one("#query", Input).value.strip()
        if self._new_label or not label:
            return
        self._new_label = label
        self._suggested_id = ""
        self.query_one("#code-id", Input).value = ""
        self._titles(t("picker.new_title", self.lang, label=label), t("picker.new_hint", self.lang))
        self.query_one("#error", Static).update("")
        self.query_one("#search-step").display = False
        self.query_one("#new-step").display = True
        parent_query = self.query_one("#parent-query", Input)
        parent_query.value = ""
        self._show_parents("")
        parent_query.focus()

    def _show_parents(self, query: str) -> None:
        options = self._code_options(query)
        # Indented past the swatch, to line up with the labels. First until a filter is
        # typed, then last, so that a filter matching nothing still leaves a choice.
        top = Option("  " + t("picker.top_level", self.lang), id=_TOP)
        options.insert(len(options) if query.strip() else 0, top)
        parents = self.query_one("#parents", OptionList)
        parents.set_options(options)
        parents.action_first()
        self._suggest_id()

    def _parent_id(self) -> str | None:
        option = self.query_one("#parents", OptionList).highlighted_option
        return None if option is None or option.id == _TOP else option.id

    def _suggest_id(self) -> None:
        """Fill in an id under the highlighted parent, unless the researcher typed one."""
        code_id = self.query_one("#code-id", Input)
        if code_id.value == self._suggested_id:
            self._suggested_id = suggest_code_id(self._new_label, self._parent_id(), self._taken)
            code_id.value = self._suggested_id

    @on(Input.Changed, "#parent-query")
    def _parent_query_changed(self, event: Input.Changed) -> None:
        self._show_parents(event.value)

    @on(OptionList.OptionHighlighted, "#parents")
    def _parent_highlighted(self) -> None:
        self._suggest_id()

    @on(Input.Changed, "#code-id")
    def _code_id_changed(self) -> None:
        self.query_one("#error", Static).update("")

    @on(Input.Submitted, "#parent-query")
    @on(OptionList.OptionSelected, "#parents")
    def _parent_chosen(self) -> None:
        code_id = self.query_one("#code-id", Input)
        code_id.focus()
        code_id.action_end()

    @on(Input.Submitted, "#code-id")
    def _create(self, event: Input.Submitted) -> None:
        code_id = event.value.strip()
        if not code_id:
            error = t("picker.id_empty", self.lang)
        elif not CODE_ID.fullmatch(code_id):
            error = t("picker.id_invalid", self.lang)
        elif code_id in self._taken:
            error = t("picker.id_taken", self.lang, code_id=code_id)
        else:
            self.dismiss(NewCode(self._new_label, self._parent_id(), code_id))
            return
        self.query_one("#error", Static).update(Content(error))
        self.app.bell()


def code_definition(code: Code, lang: str, memo: str = "") -> Content:
    """A code's definition as the picker shows it: label and English label, then one line
    each for its description, include, exclude, examples and the coder's memo (those it has;
    a code without any says so)."""
    lines = [Content.assemble((code.label, "bold"), "  ", (code.label_en, "dim"))]
    fields = (
        ("definition.description", code.description),
        ("definition.include", code.include),
        ("definition.exclude", code.exclude),
        ("definition.examples", "".join(f"「{e}」" for e in code.examples)),
        ("definition.memo", memo.strip().replace("\n", " ")),
    )
    for key, value in fields:
        if value:
            # "说明：" runs into the text: a Chinese line then wraps by the cell, not whole.
            lines.append(Content.assemble((t(key, lang), "$text-muted bold"), value))
    if len(lines) == 1:
        lines.append(Content.styled(t("definition.none", lang), "$text-muted italic"))
    return Content("\n").join(lines)


class TextPrompt(_Dialog[str | None]):
    """Ask for a line of text (a coder's name) or, with ``multiline``, a memo.

    Dismisses with the text as typed (possibly empty, which clears a memo), or ``None`` on
    escape. A single line is saved with enter; several lines with ctrl+s or the Save button.
    """

    DEFAULT_CSS = (
        "TextPrompt {"
        + _DIALOG_CSS
        + """
        & TextArea { height: 10; }
        & #buttons { height: auto; margin-top: 1; align-horizontal: right; }
        & #buttons Button { margin-left: 2; min-width: 10; }
    }"""
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("ctrl+s", "save", "Save", show=False, priority=True),
    ]
    FIT = (("TextArea", 4, 10),)  # beside it, the buttons

    def __init__(
        self,
        title: str,
        lang: str,
        initial: str = "",
        placeholder: str = "",
        multiline: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.lang = lang
        self.initial = initial
        self.placeholder = placeholder
        self.multiline = multiline

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical(id="dialog") as dialog:
            dialog.border_title = Content(self.title_text)
            if self.multiline:
                dialog.border_subtitle = t("prompt.hint_multiline", lang)
                yield TextArea(self.initial, placeholder=self.placeholder, id="text")
                with Horizontal(id="buttons"):
                    yield Button(t("prompt.cancel", lang), id="cancel")
                    yield Button(t("prompt.save", lang), id="save", variant="primary")
            else:
                dialog.border_subtitle = t("prompt.hint", lang)
                yield Input(self.initial, self.placeholder, id="text")

    def on_mount(self) -> None:
        text = self.query_one("#text")
        text.focus()
        if isinstance(text, TextArea):
            text.move_cursor(text.document.end)

    @property
    def text(self) -> str:
        """What is typed so far."""
        widget = self.query_one("#text")
        return widget.text if isinstance(widget, TextArea) else self.query_one(Input).value

    @on(Input.Submitted, "#text")
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self.dismiss(self.text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceList(_Dialog[str | None]):
    """Choose one of a few things: a coder, a coding to remove, a language.

    ``items`` are ``(value, label)`` pairs, shown as labels in order; dismisses with the
    chosen value or ``None`` on escape. ``current`` is the value highlighted at first.
    """

    DEFAULT_CSS = (
        "ChoiceList {"
        + _DIALOG_CSS
        + """
        & > #dialog { width: 64; }
        & OptionList { height: auto; max-height: 20; }
    }"""
    )

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]
    FIT = (("OptionList", 0, 20),)

    def __init__(
        self,
        title: str,
        items: list[tuple[str, str]],
        lang: str,
        current: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = items
        self.lang = lang
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = Content(self.title_text)
            dialog.border_subtitle = t("choice.hint", self.lang)
            # Values go through the option's index, not its id, so any string can be a value.
            yield OptionList(*(Option(Content(label)) for _, label in self.choices), id="choices")

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        values = [value for value, _ in self.choices]
        if self.current in values:
            choices.highlighted = values.index(self.current)
        choices.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(_Dialog[None]):
    """The key map: one row per binding, ``(key, description)``; escape, q or ? closes."""

    DEFAULT_CSS = (
        "HelpScreen {"
        + _DIALOG_CSS
        + """
        & > #dialog { width: 64; }
        & DataTable { height: auto; max-height: 40; background: $surface; }
    }"""
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", show=False)
    ]
    FIT = (("DataTable", 0, 40),)

    def __init__(self, bindings: list[tuple[str, str]], lang: str) -> None:
        super().__init__()
        self.key_map = bindings
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = t("help.title", self.lang)
            dialog.border_subtitle = t("help.hint", self.lang)
            table: DataTable[Text] = DataTable(cursor_type="none", zebra_stripes=True)
            table.add_column(t("help.key", self.lang), key="key")
            table.add_column(t("help.action", self.lang), key="action")
            # Text, not str: a key such as "[" must not be read as markup.
            table.add_rows((Text(key, style="bold"), Text(what)) for key, what in self.key_map)
            yield table

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)
