"""Merging two codebooks by code id: additions kept, blanks filled, conflicts listed and never
guessed; ``qualcode codebook merge`` writes a third file only when nothing is left to guess."""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.cli import main
from qualcode.codebook import (
    MergeConflictError,
    dump_codebook,
    load_codebook,
    merge_codebooks,
    parse_codebook,
)
from qualcode.model import Code, Codebook

from .conftest import SAMPLE_CODEBOOK

OURS = """\
qualcode_codebook: 1
name: 研究
codes:
  - id: problems
    label: 使用问题
    color: "#e06c75"
    keywords: [问题]
    children:
      - id: problems.awareness
        label: 知晓度
      - id: problems.security
        label: 信息安全
  - id: causes
    label: 原因
"""


def book(text: str) -> Codebook:
    return parse_codebook(text)


def ids(codebook: Codebook) -> list[tuple[str, str]]:
    """(id, parent id) in tree order."""
    return [(c.id, p.id if p else "") for c, p, _ in codebook.walk()]


def test_a_codebook_merged_with_itself_is_unchanged():
    ours = load_codebook(SAMPLE_CODEBOOK)
    merged = merge_codebooks(ours, copy.deepcopy(ours))
    assert merged.codebook == ours
    assert not merged.added and not merged.filled and not merged.conflicts
    assert not merged.unresolved


def test_their_new_codes_go_under_their_parent_after_their_sibling():
    theirs = book(
        OURS.replace(
            "      - id: problems.security\n",
            "      - id: problems.cost\n        label: 费用\n      - id: problems.security\n",
        )
        + "  - id: suggestions\n    label: 建议\n    children:\n"
        "      - id: suggestions.publicity\n        label: 加强宣传\n"
    )
    merged = merge_codebooks(book(OURS), theirs)
    assert merged.added == ["problems.cost", "suggestions", "suggestions.publicity"]
    assert ids(merged.codebook) == [
        ("problems", ""),
        ("problems.awareness", "problems"),
        ("problems.cost", "problems"),
        ("problems.security", "problems"),
        ("causes", ""),
        ("suggestions", ""),
        ("suggestions.publicity", "suggestions"),
    ]
    assert not merged.conflicts


def test_codes_only_ours_has_are_kept():
    theirs = book("qualcode_codebook: 1\nname: 研究\ncodes:\n  - id: causes\n    label: 原因\n")
    merged = merge_codebooks(book(OURS), theirs)
    assert ids(merged.codebook) == ids(book(OURS))
    assert not merged.conflicts


def test_a_blank_is_filled_from_the_other_side_without_conflict():
    theirs = book(
        OURS.replace(
            "        label: 知晓度\n",
            "        label: 知晓度\n        label_en: Awareness\n        keywords: [不知道]\n",
        )
    )
    merged = merge_codebooks(book(OURS), theirs)
    code = merged.codebook.by_id()["problems.awareness"]
    assert (code.label_en, code.keywords) == ("Awareness", ["不知道"])
    assert merged.filled == [("problems.awareness", "label_en"), ("problems.awareness", "keywords")]
    assert not merged.conflicts


def test_different_values_are_conflicts_listed_and_left_as_ours():
    theirs = book(
        OURS.replace("label: 知晓度", "label: 知晓程度")
        .replace('"#e06c75"', '"#000000"')
        .replace("[问题]", "[问题, 毛病]")
    )
    merged = merge_codebooks(book(OURS), theirs)
    assert merged.unresolved
    assert [(c.code_id, c.field) for c in merged.conflicts] == [
        ("problems", "color"),
        ("problems", "keywords"),
        ("problems.awareness", "label"),
    ]
    assert merged.codebook.by_id()["problems.awareness"].label == "知晓度"
    assert "problems.awareness label: ours '知晓度', theirs '知晓程度'" in merged.render()


@pytest.mark.parametrize(
    ("prefer", "label", "color"), [("ours", "知晓度", "#e06c75"), ("theirs", "知晓程度", "#000000")]
)
def test_a_preference_settles_every_conflict(prefer, label, color):
    theirs = book(
        OURS.replace("label: 知晓度", "label: 知晓程度").replace('"#e06c75"', '"#000000"')
    )
    merged = merge_codebooks(book(OURS), theirs, prefer=prefer)
    assert len(merged.conflicts) == 2 and not merged.unresolved
    codes = merged.codebook.by_id()
    assert (codes["problems.awareness"].label, codes["problems"].color) == (label, color)


def test_a_code_moved_to_another_parent_is_a_conflict():
    theirs = book(
        OURS.replace("      - id: problems.security\n        label: 信息安全\n", "")
        + "    children:\n      - id: problems.security\n        label: 信息安全\n"
    )
    merged = merge_codebooks(book(OURS), theirs)
    assert [(c.code_id, c.field, c.ours, c.theirs) for c in merged.conflicts] == [
        ("problems.security", "parent", "problems", "causes")
    ]
    assert ("problems.security", "problems") in ids(merged.codebook)
    moved = merge_codebooks(book(OURS), theirs, prefer="theirs")
    assert ("problems.security", "causes") in ids(moved.codebook)
    assert len(moved.codebook.by_id()) == 4


def test_swapped_parent_and_child_cannot_make_a_cycle():
    ours = book(
        "qualcode_codebook: 1\nname: x\ncodes:\n  - id: a\n    label: A\n"
        "    children:\n      - id: b\n        label: B\n"
    )
    theirs = book(
        "qualcode_codebook: 1\nname: x\ncodes:\n  - id: b\n    label: B\n"
        "    children:\n      - id: a\n        label: A\n"
    )
    for prefer in ("ours", "theirs"):
        merged = merge_codebooks(ours, theirs, prefer=prefer)
        assert len(merged.codebook.by_id()) == 2
        assert {c.field for c in merged.conflicts} == {"parent"}
    assert ids(merge_codebooks(ours, theirs, prefer="theirs").codebook) == [("b", ""), ("a", "b")]


def test_the_codebooks_own_fields_follow_the_same_rules():
    theirs = book(OURS.replace("name: 研究", "name: 另一个研究\ndescription: 说明"))
    merged = merge_codebooks(book(OURS), theirs)
    assert merged.filled == [("", "description")]
    assert [(c.code_id, c.field) for c in merged.conflicts] == [("", "name")]
    assert str(merged.conflicts[0]) == "codebook name: ours '研究', theirs '另一个研究'"


def test_merging_never_changes_its_inputs():
    ours, theirs = book(OURS), book(OURS.replace("label: 知晓度", "label: 知晓程度"))
    before = copy.deepcopy((ours, theirs))
    merged = merge_codebooks(ours, theirs, prefer="theirs")
    merged.codebook.codes[0].keywords.append("x")
    assert (ours, theirs) == before


def test_an_unknown_preference_is_refused():
    with pytest.raises(ValueError):
        merge_codebooks(book(OURS), book(OURS), prefer="mine")


# Property: whatever two trees hold, the merge holds every id of both, once each, and is a
# codebook qualcode can save; merged with itself a codebook is unchanged.

_ids = st.sampled_from([f"c{i}" for i in range(8)])


@st.composite
def trees(draw) -> Codebook:
    chosen = draw(st.lists(_ids, unique=True, max_size=8))
    codes: dict[str, Code] = {}
    roots: list[Code] = []
    for i, code_id in enumerate(chosen):
        code = Code(
            id=code_id,
            label=draw(st.sampled_from(["甲", "乙", "丙"])),
            keywords=draw(st.lists(st.sampled_from(["词", "语"]), unique=True)),
        )
        parent = draw(st.sampled_from([None, *chosen[:i]]))
        (codes[parent].children if parent else roots).append(code)
        codes[code_id] = code
    return Codebook(name="x", codes=roots)


@settings(max_examples=150, deadline=None)
@given(trees(), trees(), st.sampled_from([None, "ours", "theirs"]))
def test_the_merge_holds_every_code_of_both_once(ours, theirs, prefer):
    merged = merge_codebooks(ours, theirs, prefer)
    walked = [c.id for c, _, _ in merged.codebook.walk()]
    assert sorted(walked) == sorted(set(ours.by_id()) | set(theirs.by_id()))
    assert parse_codebook(dump_codebook(merged.codebook)) == merged.codebook  # savable
    assert merge_codebooks(merged.codebook, copy.deepcopy(merged.codebook)).codebook == (
        merged.codebook
    )


# The command line


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_cli_merge_writes_the_third_file(tmp_path):
    ours, theirs, out = tmp_path / "ours.yaml", tmp_path / "theirs.yaml", tmp_path / "m.yaml"
    ours.write_text(OURS, encoding="utf-8")
    theirs.write_text(OURS + "  - id: suggestions\n    label: 建议\n", encoding="utf-8")
    result = run("codebook", "merge", ours, theirs, "-o", out)
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "+ suggestions  建议" in result.output
    assert [c.id for c in load_codebook(out).codes] == ["problems", "causes", "suggestions"]


def test_cli_merge_with_conflicts_lists_them_and_writes_nothing(tmp_path):
    ours, theirs, out = tmp_path / "ours.yaml", tmp_path / "theirs.yaml", tmp_path / "m.yaml"
    ours.write_text(OURS, encoding="utf-8")
    theirs.write_text(OURS.replace("label: 原因", "label: 成因"), encoding="utf-8")
    result = run("codebook", "merge", ours, theirs, "-o", out)
    assert result.exit_code == 1
    assert "conflict: causes label: ours '原因', theirs '成因'" in result.output
    assert "--prefer" in result.output and not out.exists()
    result = run("codebook", "merge", ours, theirs, "-o", out, "--prefer", "theirs")
    assert result.exit_code == 0, result.output
    assert load_codebook(out).by_id()["causes"].label == "成因"


def test_merge_conflict_error_names_the_way_out():
    merged = merge_codebooks(book(OURS), book(OURS.replace("label: 原因", "label: 成因")))
    message = str(MergeConflictError(merged, "a.yaml and b.yaml"))
    assert "1 conflict between a.yaml and b.yaml" in message
    assert "nothing was written" in message and "--prefer theirs" in message
