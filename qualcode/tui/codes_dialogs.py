"""Dialogs of the codebook pane: a code's definition as a form (edit, rename, new code), and
a chooser of one code (the new parent of a move, the code a merge goes into).

Each is a :class:`~textual.screen.ModalScreen` that hands its result to the ``push_screen``
callback through ``dismiss`` (``None`` when cancelled) and speaks the language it is given.
The form checks what it can before it closes (the id, the label, the colour), so that a typo
never costs the researcher what they typed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..codebook import CODE_ID, normalize_color, validate_codebook
from ..codematch import CodeMatcher, suggest_code_id
from ..errors import CodebookError
from ..model import Code, Codebook
from .dialogs import _DIALOG_CSS, _CodeRows, _Dialog
from .i18n import t

TOP_LEVEL = "+top"  # the chooser's "(top level)" row: no code id has a "+"
_SEPARATORS = re.compile(r"[,，、;；]")
_TEXT_FIELDS = ("label", "label_en", "color", "description", "include", "exclude")


@dataclass(frozen=True, slots=True)
class CodeForm:
    """What the researcher filled in: the code's id and its fields (as
    :func:`qualcode.codes.edit_code` takes them); ``parent_id`` for a new code."""

    code_id: str
    fields: dict[str, Any]
    parent_id: str | None = None


class CodeFormScreen(_Dialog[CodeForm | None]):
    """A code's id, label, English label, colour, description, include, exclude, examples
    (one a line) and keywords (separated by commas or 、). ``code`` is the code edited, or
    None for a new code under ``parent_id``; ``taken`` the ids in use; ``focus`` the field
    the cursor starts in. Ctrl+S or Enter in a one-line field saves; Esc cancels."""

    DEFAULT_CSS = (
        "CodeFormScreen {"
        + _DIALOG_CSS
        + """
        & > #dialog { width: 90; }
        & Grid { grid-size: 2; grid-columns: 14 1fr; grid-rows: auto; height: auto; }
        & Grid Label { padding: 1 1 0 0; color: $text-muted; }
        & TextArea { height: 4; }
        & #error { color: $error; height: auto; }
    }"""
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", show=False),
        Binding("ctrl+s", "save", show=False, priority=True),
    ]

    def __init__(
        self,
        lang: str,
        taken: Collection[str],
        *,
        code: Code | None = None,
        parent_id: str | None = None,
        parent_label: str = "",
        focus: str = "label",
        label: str = "",
    ) -> None:
        super().__init__()
        self.lang = lang
        self.code = code
        self.parent_id = parent_id
        self.parent_label = parent_label
        self.taken = set(taken) - ({code.id} if code else set())
        self.start_focus = focus
        self.initial_label = label
        self._suggested_id = ""  # the id last filled in for a new code; another was typed
        self._shown: dict[str, str] = {}  # each field's text as the form first showed it

    def compose(self) -> ComposeResult:
        lang, code = self.lang, self.code or Code("", self.initial_label)
        with Vertical(id="dialog") as dialog:
            if self.code is not None:
                dialog.border_title = Content(t("form.edit", lang, code=self.code.label))
            elif self.parent_id:
                dialog.border_title = Content(t("form.new_under", lang, parent=self.parent_label))
            else:
                dialog.border_title = Content(t("form.new_top", lang))
            dialog.border_subtitle = t("form.hint", lang)
            with Grid():
                yield Label(t("form.id", lang))
                yield Input(code.id, id="id", restrict=r"[A-Za-z0-9_.\-]*")
                for name in _TEXT_FIELDS:
                    yield Label(t(f"form.{name}", lang))
                    yield Input(getattr(code, name), id=name)
                yield Label(t("form.examples", lang))
                yield TextArea("\n".join(code.examples), id="examples")
                yield Label(t("form.keywords", lang))
                yield Input("、".join(code.keywords), id="keywords")
            yield Static(id="error")

    def on_mount(self) -> None:
        self._shown = self._typed()
        if self.code is None:
            self._suggest_id()
        self.query_one(f"#{self.start_focus}").focus()

    @on(Input.Changed, "#label")
    def _suggest_id(self) -> None:
        """A new code's id follows its label (pinyin under the parent's id) until typed."""
        if self.code is not None:
            return
        field = self.query_one("#id", Input)
        if field.value == self._suggested_id:
            label = self.query_one("#label", Input).value.strip()
            self._suggested_id = suggest_code_id(label, self.parent_id, self.taken) if label else ""
            field.value = self._suggested_id

    @on(Input.Changed)
    def _clear_error(self) -> None:
        self.query_one("#error", Static).update("")

    def _typed(self) -> dict[str, str]:
        """Each field's text as it stands in the form, untouched."""
        typed = {
            name: self.query_one(f"#{name}", Input).value for name in (*_TEXT_FIELDS, "keywords")
        }
        typed["examples"] = self.query_one("#examples", TextArea).text
        return typed

    def form(self) -> CodeForm | str:
        """The form as filled in, or what is wrong with it (in the UI language). Of a code
        edited, only the fields whose text was changed: one the form cannot show as it is
        stored (a description over several lines) is never rewritten by being shown."""
        code_id = self.query_one("#id", Input).value.strip()
        typed = self._typed()
        fields: dict[str, Any] = {
            name: text.strip() for name, text in typed.items() if name in _TEXT_FIELDS
        }
        fields["examples"] = [
            line.strip() for line in typed["examples"].splitlines() if line.strip()
        ]
        fields["keywords"] = [
            word.strip() for word in _SEPARATORS.split(typed["keywords"]) if word.strip()
        ]
        if fields["color"]:
            fields["color"] = normalize_color(fields["color"])
        if self.code is not None:
            fields = {
                name: value for name, value in fields.items() if typed[name] != self._shown[name]
            }
        if not code_id:
            return t("picker.id_empty", self.lang)
        if not CODE_ID.fullmatch(code_id):
            return t("picker.id_invalid", self.lang)
        if code_id in self.taken:
            return t("picker.id_taken", self.lang, code_id=code_id)
        current = self.code or Code(code_id, "")
        checked = Code(
            code_id,
            **{
                name: fields.get(name, getattr(current, name))
                for name in (*_TEXT_FIELDS, "examples", "keywords")
            },
        )
        if not checked.label.strip():
            return t("form.label_empty", self.lang)
        try:
            validate_codebook(Codebook("check", [checked]))
        except CodebookError as error:
            return error.message
        return CodeForm(code_id, fields, self.parent_id)

    @on(Input.Submitted)
    def action_save(self) -> None:
        result = self.form()
        if isinstance(result, str):
            self.query_one("#error", Static).update(Content(result))
            self.app.bell()
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CodeChooser(_Dialog[str | None]):
    """Choose one code by typing part of its label, pinyin initials, English label or id,
    as the code picker matches them; ``excluded`` ids are not offered (a code cannot move
    under itself). With ``top_level``, a first row "(top level)" dismisses with
    :data:`TOP_LEVEL`. Dismisses with the chosen id, or None on escape."""

    DEFAULT_CSS = (
        "CodeChooser {"
        + _DIALOG_CSS
        + """
        & #codes { height: auto; max-height: 18; }
    }"""
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
    ]
    FIT = (("#codes", 4, 18),)

    def __init__(
        self,
        codebook: Codebook,
        title: str,
        lang: str,
        *,
        excluded: Collection[str] = (),
        top_level: bool = False,
        matcher: CodeMatcher | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.lang = lang
        self.excluded = set(excluded)
        self.top_level = top_level
        self.matcher = matcher or CodeMatcher(codebook)
        self._row = _CodeRows(self.matcher.codes)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = Content(self.title_text)
            dialog.border_subtitle = t("choice.hint", self.lang)
            yield Input(placeholder=t("picker.placeholder", self.lang), id="query")
            yield OptionList(id="codes", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False  # typing stays in the input
        self._show("")
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _query_changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    def _show(self, query: str) -> None:
        options = [
            Option(self._row(match.code), id=match.code.id)
            for match in self.matcher.match(query)
            if match.code.id not in self.excluded
        ]
        if self.top_level:
            top = Option("  " + t("picker.top_level", self.lang), id=TOP_LEVEL)
            options.insert(len(options) if query.strip() else 0, top)
        codes = self.query_one(OptionList)
        codes.set_options(options)
        codes.action_first()

    def action_move(self, step: int) -> None:
        codes = self.query_one(OptionList)
        (codes.action_cursor_up if step < 0 else codes.action_cursor_down)()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is None:
            self.app.bell()
        else:
            self.dismiss(option.id)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
