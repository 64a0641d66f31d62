"""The dialogs as a researcher uses them, and the words they show in both languages.

Pilot sends a Chinese character as a key of its own (``pilot.press("信")``), as an input
method delivers it, so short Chinese is typed like anything else. Every key costs Pilot a
frame, so longer text goes in the way a paste or an input method's commit does:
:func:`paste` inserts it at the cursor of the focused input.
"""

from __future__ import annotations

import re
import string

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import DataTable, Input, OptionList, Static

from qualcode.codebook import load_codebook
from qualcode.model import Code, Codebook
from qualcode.tui.dialogs import ChoiceList, CodePicker, HelpScreen, NewCode, TextPrompt
from qualcode.tui.i18n import LANGUAGES, STRINGS, default_language, t

from ..conftest import SAMPLE_CODEBOOK
from ..test_codematch import sample_codebook
from .conftest import paste

pytestmark = pytest.mark.anyio


class Host(App[None]):
    """Pushes one dialog on start and keeps what it returns."""

    def __init__(self, dialog: Screen) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


def picker_rows(app: App) -> list[str]:
    codes = app.screen.query_one("#codes", OptionList)
    return [str(option.prompt) for option in codes.options]


# Code picker


async def test_typing_pinyin_initials_and_enter_picks_the_top_code() -> None:
    app = Host(CodePicker(sample_codebook(), "zh"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("x", "c")
        rows = picker_rows(app)
        assert "宣传推广" in rows[0] and "causes.publicity" in rows[0]
        assert "加强宣传" in rows[1]
        assert "新建编码“xc”" in rows[-1]
        await pilot.press("enter")
    assert app.results == ["causes.publicity"]


async def test_xxaq_picks_information_security() -> None:
    app = Host(CodePicker(sample_codebook(), "en"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"xxaq", "enter")
    assert app.results == ["problems.security"]


async def test_down_moves_to_the_next_match_and_chinese_can_be_typed() -> None:
    app = Host(CodePicker(sample_codebook(), "zh"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("宣", "传")
        assert "宣传推广" in picker_rows(app)[0]
        await pilot.press("down", "enter")
    assert app.results == ["suggestions.publicity"]


async def test_the_picker_shows_the_highlighted_codes_definition() -> None:
    """The researcher codes against the definition, not the label: description, include,
    exclude and examples of the code under the cursor, and their own memo on it."""
    codebook = load_codebook(SAMPLE_CODEBOOK)
    awareness = codebook.by_id()["problems.awareness"]
    app = Host(CodePicker(codebook, "zh", memos={"problems.content": "含办事指南过时"}))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("s", "y", "y", "z")  # 使用与知晓度
        definition = app.screen.query_one("#definition", Static)
        shown = str(definition.render())
        assert shown.startswith("使用与知晓度")
        for label, value in (
            ("说明", awareness.description),
            ("包括", awareness.include),
            ("不包括", awareness.exclude),
        ):
            assert f"{label}：{value}" in shown.replace("\n", "")
        assert f"示例：「{awareness.examples[0]}」" in shown.replace("\n", "")
        assert "我的备忘" not in shown
        await pilot.press("backspace", "backspace", "backspace", "backspace", "n", "r")
        shown = str(definition.render())
        assert shown.startswith("内容问题") and "我的备忘：含办事指南过时" in shown
        await pilot.press("down")  # the next match: its definition follows the cursor
        option = app.screen.query_one("#codes", OptionList).highlighted_option
        next_code = codebook.by_id()[option.id]
        assert str(definition.render()).startswith(next_code.label)
        await pilot.press("backspace", "backspace", *"qqq")  # only the new-code row
        assert not definition.display


async def test_escape_cancels_the_picker() -> None:
    app = Host(CodePicker(sample_codebook(), "zh"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("x", "escape")
    assert app.results == [None]


async def test_new_code_under_a_parent_with_a_pinyin_id() -> None:
    app = Host(CodePicker(sample_codebook(), "zh"))
    async with app.run_test(size=(100, 30)) as pilot:
        await paste(pilot, "数字鸿沟")
        assert picker_rows(app)[0] == t("picker.no_match", "zh")
        await pilot.press("enter")  # the new-code row is the only one that can be picked
        code_id = app.screen.query_one("#code-id", Input)
        assert code_id.value == "shu_zi_hong_gou"  # top level comes first
        await paste(pilot, "problems")
        assert code_id.value == "problems.shu_zi_hong_gou"
        await pilot.press("enter")  # parent chosen: on to the id
        assert app.focused is code_id
        await pilot.press("enter")
    assert app.results == [NewCode("数字鸿沟", "problems", "problems.shu_zi_hong_gou")]


async def test_in_vivo_label_offers_the_new_code_and_the_id_can_be_edited() -> None:
    app = Host(CodePicker(sample_codebook(), "en", initial_label="不放心填信息"))
    async with app.run_test(size=(100, 30)) as pilot:
        codes = app.screen.query_one("#codes", OptionList)
        assert codes.highlighted_option is not None and codes.highlighted_option.id == "+new"
        await pilot.press("enter", "down")  # the parent: the first code after (top level)
        code_id = app.screen.query_one("#code-id", Input)
        assert code_id.value == "problems.bu_fang_xin_tian_xin_xi"
        await pilot.press("tab", "ctrl+u")
        await paste(pilot, "problems.worry")
        await pilot.press("shift+tab", "down")  # another parent no longer rewrites the id
        assert code_id.value == "problems.worry"
        await pilot.press("tab", "enter")
    assert app.results == [NewCode("不放心填信息", "problems.awareness", "problems.worry")]


async def test_the_id_follows_the_parent_however_fast_it_moves() -> None:
    app = Host(CodePicker(sample_codebook(), "zh", initial_label="数字鸿沟"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        # From the top level past problems and awareness to usability, as a held-down arrow
        # key would, before any message is handled.
        for _ in range(3):
            app.screen.action_move(1)
        await pilot.pause()
        code_id = app.screen.query_one("#code-id", Input)
        assert code_id.value == "problems.usability.shu_zi_hong_gou"


async def test_a_parent_filter_matching_nothing_leaves_the_top_level() -> None:
    app = Host(CodePicker(sample_codebook(), "zh", initial_label="数字鸿沟"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await paste(pilot, "zzqq")
        parents = app.screen.query_one("#parents", OptionList)
        assert [option.id for option in parents.options] == ["+top"]
        await pilot.press("enter", "enter")
    assert app.results == [NewCode("数字鸿沟", None, "shu_zi_hong_gou")]


async def test_ctrl_n_creates_even_when_codes_match_and_a_taken_id_is_refused() -> None:
    app = Host(CodePicker(sample_codebook(), "zh"))
    async with app.run_test(size=(100, 30)) as pilot:
        await paste(pilot, "causes")
        await pilot.press("ctrl+n", "enter")
        code_id = app.screen.query_one("#code-id", Input)
        await pilot.press("ctrl+u")
        await paste(pilot, "causes")
        await pilot.press("enter")
        error = str(app.screen.query_one("#error", Static).render())
        assert "causes" in error and "已被使用" in error
        assert app.results == []
        await pilot.press("escape")  # back to the search, query kept
        assert app.screen.query_one("#query", Input).value == "causes"
        assert code_id.display is True and not app.screen.query_one("#new-step").display
        await pilot.press("escape")
    assert app.results == [None]


async def test_the_picker_fits_a_small_terminal() -> None:
    many = Codebook("many", [Code(f"c{n}", f"编码{n}", f"Code {n}") for n in range(40)])
    app = Host(CodePicker(many, "zh"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        dialog = app.screen.query_one("#dialog").region
        codes = app.screen.query_one("#codes", OptionList).region
        assert dialog.height <= 22 and codes.bottom < dialog.bottom  # the list scrolls instead
        await pilot.press("ctrl+n")  # the query is empty: nothing to create
        assert app.screen.query_one("#search-step").display


# Text prompt


async def test_text_prompt_returns_what_is_typed() -> None:
    app = Host(TextPrompt(t("prompt.coder_name", "zh"), "zh", placeholder="张三"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"Li ", "李", "四", "enter")
    assert app.results == ["Li 李四"]


async def test_multiline_memo_saves_with_ctrl_s_and_keeps_newlines() -> None:
    app = Host(TextPrompt(t("prompt.memo", "zh"), "zh", initial="第一行", multiline=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter", "第", "二", "行", "enter")  # enter is a new line here
        await paste(pilot, "宣传，不够。")
        await pilot.press("ctrl+s")
    assert app.results == ["第一行\n第二行\n宣传，不够。"]


async def test_memo_save_button_and_escape() -> None:
    app = Host(TextPrompt("备忘", "zh", initial="旧的", multiline=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#save")
    assert app.results == ["旧的"]
    for multiline in (False, True):
        app = Host(TextPrompt("备忘", "zh", initial="旧的", multiline=multiline))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("x", "escape")
        assert app.results == [None]


# Choice list


async def test_choice_list_returns_the_value_of_the_chosen_label() -> None:
    coders = [("wang", "王老师"), ("li", "李同学"), ("+new", t("choice.new_coder", "zh"))]
    app = Host(ChoiceList(t("choice.switch_coder", "zh"), coders, "zh", current="li"))
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.screen.query_one(OptionList).highlighted == 1
        await pilot.press("down", "enter")
    assert app.results == ["+new"]
    app = Host(ChoiceList("?", coders, "zh"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("escape")
    assert app.results == [None]


# Help


@pytest.mark.parametrize("key", ["escape", "q", "question_mark"])
async def test_help_lists_the_keys_and_closes(key: str) -> None:
    bindings = [("j", t("key.next_sentence", "zh")), ("[", t("key.prev_turn", "zh"))]
    app = Host(HelpScreen(bindings, "zh"))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows == [["j", "下一句"], ["[", "上一轮发言"]]
        await pilot.press(key)
        assert not isinstance(app.screen, HelpScreen)
    assert app.results == [None]


# Words


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    formatter = string.Formatter()
    for key, texts in STRINGS.items():
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", key), key
        assert set(texts) == set(LANGUAGES), key
        fields = [
            {name for _, name, _, _ in formatter.parse(texts[lang]) if name} for lang in LANGUAGES
        ]
        assert all(texts.values()) and fields[0] == fields[1], key


def test_t_falls_back_to_english_then_the_key_and_fills_fields() -> None:
    assert t("pane.codebook", "zh") == "编码本"
    assert t("pane.codebook", "fr") == "Codebook"
    assert t("no.such.key", "zh") == "no.such.key"
    assert t("picker.new_code", "zh", label="数字鸿沟") == "+ 新建编码“数字鸿沟”"
    assert t("key.favourite_code", "en", n=3) == "Favourite code 3"
    assert t("notify.coded", "en") == "Coded: {code}"  # an unfilled field shows, never raises


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL first
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_GB.UTF-8"}, "zh"),
        ({"LC_ALL": "", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),  # empty counts as unset
        ({"QUALCODE_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"QUALCODE_LANG": "zh", "LC_ALL": "C"}, "zh"),
        ({"QUALCODE_LANG": "zh_CN"}, "zh"),
        ({"QUALCODE_LANG": "klingon", "LANG": "zh_CN.UTF-8"}, "zh"),  # unknown: ignored
    ],
)
def test_default_language_follows_the_locale(environ: dict[str, str], language: str) -> None:
    assert default_language(environ) == language
