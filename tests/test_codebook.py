"""Codebook YAML: loading with file:line errors, saving, round trips, diffs."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.codebook import (
    CODE_ID,
    DIFF_COLUMNS,
    diff_codebooks,
    dump_codebook,
    find_code,
    load_codebook,
    parse_codebook,
    save_codebook,
)
from qualcode.errors import CodebookError
from qualcode.model import Code, Codebook

SAMPLE = Path(__file__).resolve().parents[1] / "codebooks" / "gov_service.yaml"

GOOD = """\
qualcode_codebook: 1
name: 政务服务网公众使用研究
language: zh
codes:
  - id: publicity               # stable id; labels may change, ids do not
    label: 宣传推广
    label_en: Publicity
    color: "#E5C07B"
    description: 受访者对政务服务网宣传、知晓度的看法
    include: 提到不知道网站、没人告诉、宣传少
    exclude: 对网站内容本身的评价（归入 content）
    examples: ["我都不知道有这个网站"]
    keywords: [宣传, 推广, 不知道有]
    children:
      - id: publicity.awareness
        label: 知晓度
        color: "#abc"
  - id: content
    label: 内容
"""


def error_of(text: str) -> CodebookError:
    with pytest.raises(CodebookError) as caught:
        parse_codebook(dedent(text), path="book.yaml")
    return caught.value


def codebook_with(code_lines: str) -> str:
    """A valid header followed by ``code_lines`` (the codes list, indented as in a file)."""
    return "qualcode_codebook: 1\nname: 测试\ncodes:\n" + dedent(code_lines)


# --- loading a good file -----------------------------------------------------------------------


def test_parse_reads_every_field_and_normalises_colours():
    book = parse_codebook(GOOD)
    assert book.name == "政务服务网公众使用研究"
    assert book.language == "zh"
    publicity = book.codes[0]
    assert publicity.label_en == "Publicity"
    assert publicity.color == "#e5c07b"
    assert publicity.examples == ["我都不知道有这个网站"]
    assert publicity.keywords == ["宣传", "推广", "不知道有"]
    assert publicity.children[0].id == "publicity.awareness"
    assert publicity.children[0].color == "#aabbcc"
    assert [c.id for c, _, _ in book.walk()] == ["publicity", "publicity.awareness", "content"]


def test_language_defaults_to_zh_and_codes_may_be_absent():
    book = parse_codebook("qualcode_codebook: 1\nname: 空\n")
    assert book == Codebook(name="空", language="zh")


def test_text_fields_keep_what_was_written_not_yaml_1_1_types():
    book = parse_codebook(
        codebook_with("""\
            - id: 1.10
              label: yes
              label_en: 2019-01-01
              description: null
        """)
    )
    code = book.codes[0]
    assert (code.id, code.label, code.label_en, code.description) == (
        "1.10",
        "yes",
        "2019-01-01",
        "",
    )


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert load_codebook(path) == parse_codebook(GOOD)


def test_windows_line_endings_are_accepted(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_bytes(GOOD.replace("\n", "\r\n").encode("utf-8"))
    assert load_codebook(path) == parse_codebook(GOOD)


# --- errors: each names the line and says what to do ---------------------------------------------


def test_unknown_key_names_the_key_suggests_the_nearest_and_lists_allowed():
    error = error_of(
        codebook_with("""\
            - id: a
              label: 甲
              keywrods: [宣传]
        """)
    )
    assert error.line == 6
    assert "unknown key 'keywrods'" in error.message
    assert "did you mean 'keywords'?" in error.message
    assert "Allowed keys: id, label, label_en, color" in error.message
    assert str(error).startswith("book.yaml:6: ")


def test_unknown_key_name_in_a_code_suggests_label():
    error = error_of(codebook_with("  - id: a\n    name: 甲\n"))
    assert error.line == 5
    assert "did you mean 'label'?" in error.message


def test_unknown_top_level_key():
    error = error_of("qualcode_codebook: 1\nname: x\nlangauge: zh\n")
    assert error.line == 3
    assert "did you mean 'language'?" in error.message


def test_duplicate_id_names_both_lines():
    error = error_of(
        codebook_with("""\
            - id: a
              label: 甲
              children:
                - id: b
                  label: 乙
            - id: b
              label: 丙
        """)
    )
    assert error.line == 9
    assert "duplicate code id 'b'" in error.message
    assert "also at line 7" in error.message


def test_missing_label():
    error = error_of(codebook_with("  - id: a\n    color: '#fff'\n"))
    assert error.line == 4
    assert "code 'a' has no 'label'" in error.message


def test_empty_label():
    error = error_of(codebook_with("  - id: a\n    label: '  '\n"))
    assert error.line == 5
    assert "empty 'label'" in error.message


def test_missing_id():
    error = error_of(codebook_with("  - label: 甲\n"))
    assert error.line == 4
    assert "has no 'id'" in error.message


def test_id_with_chinese_or_spaces_is_refused():
    error = error_of(codebook_with("  - id: 宣传 推广\n    label: 宣传推广\n"))
    assert error.line == 4
    assert "ASCII letters, digits" in error.message


@pytest.mark.parametrize("colour", ["'#12345'", "red", "'e5c07b'", "'#ggg'"])
def test_bad_colour(colour):
    error = error_of(codebook_with(f"  - id: a\n    label: 甲\n    color: {colour}\n"))
    assert error.line == 6
    assert "bad color" in error.message
    assert '"#rrggbb"' in error.message


def test_unquoted_colour_is_a_comment_and_the_error_says_so():
    error = error_of(codebook_with("  - id: a\n    label: 甲\n    color: #e5c07b\n"))
    assert error.line == 6
    assert "unquoted '#' starts a YAML comment" in error.message


def test_missing_version():
    error = error_of("name: x\ncodes: []\n")
    assert error.line == 1
    assert "missing 'qualcode_codebook: 1'" in error.message


@pytest.mark.parametrize("version", ["2", "'1'", "true", "1.0"])
def test_wrong_version(version):
    error = error_of(f"name: x\n\nqualcode_codebook: {version}\n")
    assert error.line == 3
    assert "unsupported codebook version" in error.message


def test_wrong_version_is_reported_before_unknown_keys():
    # A newer file may have keys this version does not know: the version is the real problem.
    error = error_of("qualcode_codebook: 2\nname: x\ncategories: []\n")
    assert "unsupported codebook version" in error.message


def test_missing_name():
    error = error_of("qualcode_codebook: 1\ncodes: []\n")
    assert error.line == 1
    assert "no 'name'" in error.message


def test_keywords_as_a_string_gets_a_hint_with_the_list_to_write():
    error = error_of(
        codebook_with("  - id: a\n    label: 甲\n    keywords: 宣传，推广、不知道有\n")
    )
    assert error.line == 6
    assert "'keywords' must be a list" in error.message
    assert "keywords: [宣传, 推广, 不知道有]" in error.message


def test_empty_keyword_is_refused():
    error = error_of(
        codebook_with("  - id: a\n    label: 甲\n    keywords:\n      - 宣传\n      - ''\n")
    )
    assert error.line == 8
    assert "empty item in 'keywords'" in error.message


def test_children_not_a_list():
    error = error_of(codebook_with("  - id: a\n    label: 甲\n    children: b\n"))
    assert error.line == 6
    assert "'children' must be a list of codes" in error.message


def test_label_as_a_list_is_refused():
    error = error_of(codebook_with("  - id: a\n    label: [甲, 乙]\n"))
    assert error.line == 5
    assert "'label' must be text" in error.message


def test_code_that_is_not_a_mapping():
    error = error_of(codebook_with("  - a\n"))
    assert error.line == 4
    assert "a code must be a mapping" in error.message


def test_duplicate_yaml_key_is_not_silently_dropped():
    error = error_of(codebook_with("  - id: a\n    label: 甲\n    color: '#fff'\n    label: 乙\n"))
    assert error.line == 7
    assert "duplicate key 'label' (first at line 5)" in error.message


def test_tab_indentation_gets_a_friendly_message():
    error = error_of("qualcode_codebook: 1\nname: x\ncodes:\n  - id: a\n\tlabel: 甲\n")
    assert error.line == 5
    assert "tab character" in error.message
    assert "spaces" in error.message


def test_yaml_syntax_error_has_its_line():
    error = error_of(
        "qualcode_codebook: 1\nname: x\ncodes:\n  - id: a\n    keywords: [a, b\n    label: c\n"
    )
    assert error.line == 6
    assert "YAML syntax error" in error.message


def test_control_character_is_reported_with_its_line():
    error = error_of("qualcode_codebook: 1\nname: x\x01\n")
    assert error.line == 2
    assert "U+0001" in error.message


def test_empty_file():
    error = error_of("# nothing yet\n")
    assert error.line == 1
    assert "empty" in error.message


def test_top_level_list_is_refused():
    error = error_of("- id: a\n  label: b\n")
    assert error.line == 1
    assert "qualcode_codebook: 1" in error.message


def test_python_tags_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    text = codebook_with(
        f"  - id: a\n    label: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    error = error_of(text)
    assert error.line == 5
    assert "YAML tag '!!python/object/apply:os.system' is not allowed" in error.message
    assert not marker.exists()


@pytest.mark.parametrize("tagged", ["!!binary aGk=", "!custom x", "!!set {a: null}"])
def test_other_non_standard_tags_are_refused(tagged):
    error = error_of(codebook_with(f"  - id: a\n    label: 甲\n    description: {tagged}\n"))
    assert error.line == 6
    assert "is not allowed" in error.message


def test_merge_keys_are_refused():
    error = error_of("qualcode_codebook: 1\nname: x\n<<: {language: zh}\n")
    assert error.line == 3
    assert "merge keys" in error.message


def test_alias_that_loops_back_is_a_duplicate_id_not_a_hang():
    error = error_of(
        "qualcode_codebook: 1\nname: x\ncodes: &c\n  - id: a\n    label: 甲\n    children: *c\n"
    )
    assert "duplicate code id 'a'" in error.message


def test_non_utf8_file_reports_the_line_and_suggests_utf8(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(GOOD.encode("gb18030"))
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert caught.value.line == 2  # the name, the first line with Chinese
    assert "UTF-8" in caught.value.message
    assert "GB18030" in caught.value.message
    assert str(caught.value).startswith(f"{path}:2: ")


def test_utf16_file_is_named(tmp_path):
    path = tmp_path / "utf16.yaml"
    path.write_bytes(GOOD.encode("utf-16"))
    with pytest.raises(CodebookError, match="UTF-16"):
        load_codebook(path)


def test_missing_file(tmp_path):
    with pytest.raises(CodebookError, match="not found"):
        load_codebook(tmp_path / "nope.yaml")


# --- saving ------------------------------------------------------------------------------------


def test_dump_is_readable_yaml_in_schema_order():
    text = dump_codebook(parse_codebook(GOOD))
    assert text == dedent("""\
        qualcode_codebook: 1
        name: 政务服务网公众使用研究
        language: zh
        codes:
          - id: publicity
            label: 宣传推广
            label_en: Publicity
            color: "#e5c07b"
            description: 受访者对政务服务网宣传、知晓度的看法
            include: 提到不知道网站、没人告诉、宣传少
            exclude: 对网站内容本身的评价（归入 content）
            examples: ["我都不知道有这个网站"]
            keywords: [宣传, 推广, 不知道有]
            children:
              - id: publicity.awareness
                label: 知晓度
                color: "#aabbcc"
          - id: content
            label: 内容
        """)


def test_long_chinese_text_is_not_wrapped_and_multiline_is_a_block():
    long = "这是一段很长的说明" * 40
    book = Codebook(name="x", codes=[Code("a", "甲", description=long, include="第一行\n第二行")])
    text = dump_codebook(book)
    assert f"description: {long}\n" in text
    assert "include: |-\n      第一行\n      第二行\n" in text


def test_dump_refuses_a_codebook_it_could_not_load_back():
    book = Codebook(name="x", codes=[Code("a", "甲"), Code("a", "乙")])
    with pytest.raises(CodebookError, match="duplicate code id 'a'"):
        dump_codebook(book)


def test_save_is_atomic_and_keeps_the_file_mode(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o640)
    book = parse_codebook(GOOD)
    save_codebook(book, path)
    assert load_codebook(path) == book
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["book.yaml"]  # no temp file left behind


def test_save_leaves_the_old_file_when_the_codebook_is_invalid(tmp_path):
    path = tmp_path / "book.yaml"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(CodebookError):
        save_codebook(Codebook(name="x", codes=[Code("bad id", "甲")]), path)
    assert path.read_text(encoding="utf-8") == GOOD
    assert [p.name for p in tmp_path.iterdir()] == ["book.yaml"]


def test_save_into_a_missing_folder_is_a_codebook_error(tmp_path):
    with pytest.raises(CodebookError, match="cannot write the file"):
        save_codebook(parse_codebook(GOOD), tmp_path / "missing" / "book.yaml")


# --- round trip ---------------------------------------------------------------------------------

TRICKY = [
    "yes", "No", "on", "1.0", "1", "0x1F", "1e3", "null", "~", "2019-01-01", "#", "# 注释",
    ": ", "a: b", "- x", "[a]", "{a: 1}", "'", '"', "|", ">", "*a", "&a", "!tag", "%", "@", "`",
    " 前导空格", "尾随空格 ", "第一行\n第二行", "\n", "多行\n\n", " \n缩进", "\t制表", "，、。",
    "宣传, 推广", "\u3000全角空格", "😀👍🏽", "\\", "---", "...", "?", "=",
]  # fmt: skip
_chars = st.characters(exclude_categories=("Cs",))
texts = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet="政务服务网宣传推广知晓度 :#-'\"\n,[]{}", max_size=12),
    st.text(alphabet=_chars, max_size=12),
)
nonblank = texts.filter(lambda s: s.strip())
nonempty = texts.filter(bool)
colours = st.one_of(st.just(""), st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
raw_ids = st.one_of(
    st.sampled_from(["yes", "1.0", "1", "null", "a-b", "_", "."]),
    st.from_regex(CODE_ID, fullmatch=True),
)


def codes_strategy() -> st.SearchStrategy[list[Code]]:
    leaf = st.builds(
        Code,
        id=raw_ids,
        label=nonblank,
        label_en=texts,
        color=colours,
        description=texts,
        include=texts,
        exclude=texts,
        examples=st.lists(nonempty, max_size=3),
        keywords=st.lists(nonempty, max_size=4),
    )

    def with_children(children: st.SearchStrategy[list[Code]]) -> st.SearchStrategy[Code]:
        def attach(code: Code, kids: list[Code]) -> Code:
            code.children = kids
            return code

        return st.builds(attach, leaf, children)

    return st.lists(
        st.recursive(leaf, lambda kids: with_children(st.lists(kids, max_size=3)), max_leaves=8),
        max_size=4,
    )


@st.composite
def codebooks(draw) -> Codebook:
    book = Codebook(
        name=draw(nonblank),
        codes=draw(codes_strategy()),
        language=draw(st.one_of(st.just("zh"), texts)),
        description=draw(texts),
    )
    for number, (code, _, _) in enumerate(book.walk()):
        code.id = f"{code.id}.{number}"  # unique across the tree
    return book


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codebooks())
def test_round_trip(book):
    text = dump_codebook(book)
    assert parse_codebook(text) == book
    assert dump_codebook(parse_codebook(text)) == text


# --- the sample study's codebook ------------------------------------------------------------------


@pytest.mark.skipif(not SAMPLE.exists(), reason="codebooks/gov_service.yaml not written yet")
def test_sample_codebook_loads_and_round_trips():
    book = load_codebook(SAMPLE)
    assert [code.id for code in book.codes] == ["problems", "causes", "tpb", "suggestions"]
    assert all(code.children for code in book.codes)
    assert parse_codebook(dump_codebook(book)) == book


# --- helpers -----------------------------------------------------------------------------------


def test_find_code_by_id_and_hint_by_label_or_typo():
    book = parse_codebook(GOOD)
    assert find_code(book, "publicity.awareness").label == "知晓度"
    with pytest.raises(CodebookError, match="did you mean 'publicity'"):
        find_code(book, "宣传推广")
    with pytest.raises(CodebookError, match="did you mean 'content'"):
        find_code(book, "contnet")


def test_module_imports_no_ui_or_heavy_libraries():
    script = (
        "import sys, qualcode.codebook; "
        "print(sorted({'textual', 'pandas', 'spacy'} & {m.split('.')[0] for m in sys.modules}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- diff -------------------------------------------------------------------------------------


@pytest.fixture
def old() -> Codebook:
    return parse_codebook(GOOD)


def test_no_changes(old):
    diff = diff_codebooks(old, copy.deepcopy(old))
    assert not diff
    assert diff.rows() == []
    assert diff.render() == "no changes"


def test_label_change(old):
    new = copy.deepcopy(old)
    new.codes[0].label = "宣传"
    diff = diff_codebooks(old, new)
    assert diff.rows() == [("changed", "publicity", "label", "宣传推广", "宣传")]
    assert "~ publicity  label: 宣传推广 → 宣传" in str(diff)


def test_added_child(old):
    new = copy.deepcopy(old)
    new.codes[0].children.append(Code("publicity.channel", "宣传渠道"))
    diff = diff_codebooks(old, new)
    assert diff.added == ["publicity.channel"]
    assert diff.rows() == [("added", "publicity.channel", "", "", "宣传渠道")]
    assert "+ publicity.channel  宣传渠道  (under publicity)" in diff.render()


def test_removed_code_with_its_children(old):
    new = copy.deepcopy(old)
    del new.codes[0]
    diff = diff_codebooks(old, new)
    assert diff.removed == ["publicity", "publicity.awareness"]
    assert not diff.changed
    assert ("removed", "publicity", "", "宣传推广", "") in diff.rows()


def test_moved_parent(old):
    new = copy.deepcopy(old)
    awareness = new.codes[0].children.pop()
    new.codes[1].children.append(awareness)
    diff = diff_codebooks(old, new)
    assert diff.rows() == [("changed", "publicity.awareness", "parent", "publicity", "content")]
    assert "parent: publicity → content" in diff.render()
    new.codes[1].children.clear()
    new.codes.append(awareness)
    assert "parent: publicity → (top level)" in diff_codebooks(old, new).render()


def test_keywords_change(old):
    new = copy.deepcopy(old)
    new.codes[0].keywords = ["宣传", "不知道有", "没人告诉"]
    diff = diff_codebooks(old, new)
    (change,) = diff.changed["publicity"]
    assert (change.field, change.old, change.new) == (
        "keywords",
        ["宣传", "推广", "不知道有"],
        ["宣传", "不知道有", "没人告诉"],
    )
    assert diff.rows() == [
        ("changed", "publicity", "keywords", "[宣传, 推广, 不知道有]", "[宣传, 不知道有, 没人告诉]")
    ]


def test_codebook_name_change_and_columns(old):
    new = copy.deepcopy(old)
    new.name = "新名字"
    diff = diff_codebooks(old, new)
    assert diff.rows() == [("changed", "", "name", old.name, "新名字")]
    assert len(DIFF_COLUMNS) == len(diff.rows()[0])
