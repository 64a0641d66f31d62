"""Refining the codebook in the workbench's codebook pane, on the real sample study: edit,
rename, move, reorder, merge, delete, new codes and a split from retrieve, each shown at once
(tree, counts, margin), each undone as one step, and the tree keeping its place (the cursor
on the code, collapsed branches collapsed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList, TextArea

from qualcode.store import Project
from qualcode.tui.app import QualcodeApp, build_app
from qualcode.tui.codes_dialogs import CodeChooser, CodeFormScreen
from qualcode.tui.dialogs import ChoiceList, CodePicker, HelpScreen
from qualcode.tui.retrieve import RetrieveScreen
from qualcode.tui.workbench import CodebookTree

from .conftest import paste
from .test_app import SIZE, code_labels, labels_beside, started, toasts, tree_nodes

pytestmark = pytest.mark.anyio

TABLES = ("codings", "codes", "code_memos", "favourites", "meta", "codebook_history")


def snapshot(folder: Path) -> dict[str, list[tuple]]:
    """The rows a refinement changes (of meta: the GUIDs; the workbench keeps its settings
    there, such as the transcript last opened)."""
    conn = sqlite3.connect(folder / "qualcode.db")
    try:
        return {
            table: sorted(
                conn.execute(
                    f"SELECT * FROM {table}"
                    + (" WHERE key LIKE 'refi.%'" if table == "meta" else "")
                ).fetchall(),
                key=repr,
            )
            for table in TABLES
        }
    finally:
        conn.close()


@pytest.fixture
def coded(sample_project_dir: Path) -> Path:
    """wang coded A01's sentences 1-3 with 使用与知晓度 (key 1), sentences 1 and 5 with 宣传推广
    (key 6), with memos on both codings of sentence 1."""
    with Project.open(sample_project_dir) as project:
        sentences = project.transcript("A01").sentences
        for n, memo in ((0, "没听说过"), (1, ""), (2, "")):
            s = sentences[n]
            project.add_coding("A01_zhang", s.start, s.end, "problems.awareness", "wang", memo=memo)
        s = sentences[0]
        project.add_coding("A01_zhang", s.start, s.end, "causes.publicity", "wang", memo="宣传少")
        s = sentences[4]
        project.add_coding("A01_zhang", s.start, s.end, "causes.publicity", "wang")
    return sample_project_dir


async def to_code(pilot, app: QualcodeApp, code_id: str) -> CodebookTree:
    """Focus the codebook and walk its cursor down to ``code_id``, as a researcher would."""
    tree = app.query_one(CodebookTree)
    if not tree.has_focus:
        await pilot.press("tab")
    assert tree.has_focus
    await pilot.press("home")
    for _ in range(40):
        if tree.cursor_node is not None and tree.cursor_node.data == code_id:
            return tree
        await pilot.press("down")
    raise AssertionError(f"{code_id} not reached in the codebook pane")


def children_of(tree: CodebookTree, code_id: str | None) -> list[str]:
    node = tree.root if code_id is None else next(n for n in tree_nodes(tree) if n.data == code_id)
    return [child.data for child in node.children]


def in_codebook_order(app: QualcodeApp) -> bool:
    """The tree shows the project's codebook, every branch in its order."""
    tree = app.query_one(CodebookTree)
    with Project.open(app.project.folder) as project:
        book = project.codebook()
    if children_of(tree, None) != [c.id for c in book.codes]:
        return False
    return all(
        children_of(tree, code.id) == [c.id for c in code.children] for code, _, _ in book.walk()
    )


async def test_merge_into_a_picked_code_shows_at_once_and_undo_puts_it_back(
    coded: Path,
) -> None:
    before = snapshot(coded)
    app = build_app(coded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        view = await started(app, pilot)
        first = app.workbench.transcript.sentences[0]
        assert "使用与知" in labels_beside(view, first.start)
        tree = await to_code(pilot, app, "tpb")
        await pilot.press("space")  # the researcher collapsed 计划行为理论
        tree = await to_code(pilot, app, "problems.awareness")
        await pilot.press("g")
        assert isinstance(app.screen, CodeChooser)
        await paste(pilot, "xctg")  # pinyin initials of 宣传推广
        await pilot.press("enter")
        assert not isinstance(app.screen, CodeChooser)

        labels = code_labels(app)
        assert "problems.awareness" not in labels
        assert labels["causes.publicity"] == "■ [6] 宣传推广 4 Publicity and promotion"
        assert tree.cursor_node.data == "causes.publicity"
        assert not next(n for n in tree_nodes(tree) if n.data == "tpb").is_expanded
        margin = labels_beside(view, first.start)
        assert "宣传推广" in margin and "使用与知" not in margin
        assert in_codebook_order(app)
        assert any(
            "使用与知晓度 合并到 宣传推广" in toast or "“使用与知晓度”合并到“宣传推广”" in toast
            for toast in toasts(app)
        )
        with Project.open(coded) as project:
            (joined,) = [c for c in project.codings("A01") if c.start == first.start]
            assert (joined.code_id, joined.memo) == ("causes.publicity", "宣传少\n\n没听说过")

        await pilot.press("ctrl+z")
        labels = code_labels(app)
        assert labels["problems.awareness"] == "■ [1] 使用与知晓度 3 Use and awareness"
        assert labels["causes.publicity"] == "■ [6] 宣传推广 2 Publicity and promotion"
        assert "使用与知" in labels_beside(view, first.start)
        assert in_codebook_order(app)
        assert not next(n for n in tree_nodes(tree) if n.data == "tpb").is_expanded
    assert snapshot(coded) == before


async def test_rename_with_a_new_id_keeps_the_place_the_key_and_the_margin(coded: Path) -> None:
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        fifth = app.workbench.transcript.sentences[4]
        tree = await to_code(pilot, app, "causes.publicity")
        await pilot.press("f2")
        form = app.screen
        assert isinstance(form, CodeFormScreen)
        assert app.focused is form.query_one("#label", Input)
        app.focused.clear()
        await paste(pilot, "宣传")
        form.query_one("#id", Input).value = "causes.promotion"
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, CodeFormScreen)

        assert tree.cursor_node.data == "causes.promotion"
        assert children_of(tree, "causes")[0] == "causes.promotion"  # where it was
        assert code_labels(app)["causes.promotion"].startswith("■ [6] 宣传 2")
        assert labels_beside(view, fifth.start) == "宣传"
        with Project.open(coded) as project:
            assert len(project.codings(code_id="causes.promotion")) == 2
            assert not project.codings(code_id="causes.publicity")
            assert project.favourites()[6] == "causes.promotion"

        await pilot.press("6")  # the key still binds: here it is 6 again, nothing moves
        await pilot.press("ctrl+z")
        assert tree.cursor_node is not None
        assert code_labels(app)["causes.publicity"].startswith("■ [6] 宣传推广 2")
        assert labels_beside(view, fifth.start) == "宣传推广"


async def test_a_form_keeps_what_was_typed_when_it_is_wrong(coded: Path) -> None:
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await to_code(pilot, app, "causes.publicity")
        await pilot.press("e")
        form = app.screen
        assert app.focused is form.query_one("#description", Input)
        form.query_one("#color", Input).value = "red"
        form.query_one("#id", Input).value = "problems.awareness"
        await pilot.press("enter")
        assert app.screen is form  # still open, with what was typed
        assert "problems.awareness" in str(form.query_one("#error").render())
        form.query_one("#id", Input).value = "causes.publicity"
        await pilot.press("enter")
        assert "bad color 'red'" in str(form.query_one("#error").render())
        form.query_one("#color", Input).value = "#AA5500"
        form.query_one("#examples", TextArea).text = "我都不知道有这个网站\n没人告诉我"
        form.query_one("#keywords", Input).value = "宣传、推广, 不知道有"
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, CodeFormScreen)
    with Project.open(coded) as project:
        code = project.codebook().by_id()["causes.publicity"]
        assert (code.color, code.examples, code.keywords) == (
            "#aa5500",
            ["我都不知道有这个网站", "没人告诉我"],
            ["宣传", "推广", "不知道有"],
        )
        assert project.codebook_history()[-1].details["fields"].keys() == {
            "color",
            "examples",
            "keywords",
        }


async def test_move_under_a_picked_parent_and_reorder_keep_the_tree_in_place(
    coded: Path,
) -> None:
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        tree = await to_code(pilot, app, "problems")
        await pilot.press("space")  # collapse 使用问题
        tree = await to_code(pilot, app, "tpb.attitude")
        await pilot.press("p")
        chooser = app.screen
        assert isinstance(chooser, CodeChooser)
        offered = [o.id for o in chooser.query_one(OptionList).options]
        assert offered[0] == "+top" and "tpb.attitude" not in offered
        await paste(pilot, "suggestions")
        await pilot.press("enter")
        assert children_of(tree, "suggestions")[-1] == "tpb.attitude"
        assert tree.cursor_node.data == "tpb.attitude"
        assert not next(n for n in tree_nodes(tree) if n.data == "problems").is_expanded
        assert in_codebook_order(app)

        await pilot.press("K")  # up among its new siblings
        assert children_of(tree, "suggestions")[-2] == "tpb.attitude"
        assert tree.cursor_node.data == "tpb.attitude"
        await pilot.press("ctrl+down")
        assert children_of(tree, "suggestions")[-1] == "tpb.attitude"
        await pilot.press("J")  # already last: nothing moves
        assert in_codebook_order(app)
        await pilot.press("ctrl+z")  # the move down undone: up again, as the codebook is
        assert children_of(tree, "suggestions")[-2] == "tpb.attitude"
        assert tree.cursor_node.data == "tpb.attitude"
        assert not next(n for n in tree_nodes(tree) if n.data == "problems").is_expanded
        await pilot.press("ctrl+z", "ctrl+z")
        assert "tpb.attitude" in children_of(tree, "tpb")
        assert in_codebook_order(app)
        assert not next(n for n in tree_nodes(tree) if n.data == "problems").is_expanded


async def test_delete_asks_says_how_many_codings_and_undo_brings_them_back(
    coded: Path,
) -> None:
    before = snapshot(coded)
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        first = app.workbench.transcript.sentences[0]
        tree = await to_code(pilot, app, "problems.awareness")
        await pilot.press("x")
        choice = app.screen
        assert isinstance(choice, ChoiceList)
        assert "3 处编码" in choice.title_text
        assert [value for value, _ in choice.choices] == ["merge", "delete", "cancel"]
        assert choice.query_one(OptionList).highlighted == 2  # cancel first
        await pilot.press("enter")
        assert "problems.awareness" in code_labels(app)
        await pilot.press("x", "up", "enter")  # delete, with its codings
        assert "problems.awareness" not in code_labels(app)
        assert tree.cursor_node.data == "problems"
        margin = labels_beside(view, first.start)
        assert "宣传推广" in margin and "使用与知" not in margin
        await pilot.press("ctrl+z")
        assert code_labels(app)["problems.awareness"].startswith("■ [1] 使用与知晓度 3")
        assert in_codebook_order(app)
    assert snapshot(coded) == before


async def test_new_child_and_sibling_codes_from_the_pane(coded: Path) -> None:
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        tree = await to_code(pilot, app, "problems.security")
        await pilot.press("A")  # a sibling: under 使用问题
        await paste(pilot, "排队")
        form = app.screen
        assert form.query_one("#id", Input).value == "problems.pai_dui"
        await pilot.press("enter")
        assert children_of(tree, "problems")[-1] == "problems.pai_dui"
        assert tree.cursor_node.data == "problems.pai_dui"
        await pilot.press("a")  # a child of the new code
        await paste(pilot, "等候")
        await pilot.press("enter")
        assert children_of(tree, "problems.pai_dui") == ["problems.pai_dui.deng_hou"]
        assert tree.cursor_node.data == "problems.pai_dui.deng_hou"
        assert in_codebook_order(app)
    with Project.open(coded) as project:
        assert [e.action for e in project.codebook_history()][-2:] == ["add", "add"]


async def test_segments_marked_in_retrieve_split_off_to_a_new_code_in_one_step(
    coded: Path,
) -> None:
    before = snapshot(coded)
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        view = await started(app, pilot)
        sentences = app.workbench.transcript.sentences
        await pilot.press("r")
        await paste(pilot, "problems.awareness")
        await pilot.press("enter")
        assert isinstance(app.screen, RetrieveScreen)
        await pilot.press("down", "space")  # the second and third segments
        assert "已标记 1 处" in str(app.screen.query_one("#dialog").border_subtitle)
        await pilot.press("space", "s")
        picker = app.screen
        assert isinstance(picker, CodePicker)
        await paste(pilot, "听说过")
        await pilot.press("ctrl+n")
        await paste(pilot, "problems")
        await pilot.press("enter", "enter")  # the parent, then the suggested id
        assert not isinstance(app.screen, CodePicker)

        labels = code_labels(app)
        assert labels["problems.awareness"].startswith("■ [1] 使用与知晓度 1")
        assert labels["problems.ting_shuo_guo"].startswith("■ 听说过 2")
        assert "听说过" in labels_beside(view, sentences[2].start)
        assert app.query_one(CodebookTree).cursor_node.data == "problems.ting_shuo_guo"
        await pilot.press("ctrl+z")  # the split and the new code, as one step
        assert "problems.ting_shuo_guo" not in code_labels(app)
        assert "听说过" not in labels_beside(view, sentences[2].start)
    assert snapshot(coded) == before


async def test_the_help_and_the_palette_offer_the_codebook_keys(coded: Path) -> None:
    app = build_app(coded)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        rows = {tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)}
        for row in [
            ("e", "编码本：编辑编码定义"),
            ("f2", "编码本：重命名（标签、编号）"),
            ("g", "编码本：合并到……"),
            ("p", "编码本：移到其他上级"),
            ("x / del", "编码本：删除编码"),
            ("a", "编码本：新建下级编码"),
            ("x / del", "删除编码"),
        ]:
            assert row in rows
        commands = {c.title for c in app.workbench.commands()}
        assert {"编码本：合并到……", "编码本：上移", "编码本：新建同级编码"} <= commands
