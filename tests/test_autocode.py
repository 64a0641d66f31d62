"""Auto-coding by rules: the codebook's rule fields, matching on real (simplified and
traditional) text, suggestions stored in a real project, and their review."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner

from qualcode import autocode
from qualcode.autocode import compile_rules, to_simplified
from qualcode.cli import main
from qualcode.codebook import (
    diff_codebooks,
    dump_codebook,
    merge_codebooks,
    parse_codebook,
    validate_codebook,
)
from qualcode.errors import CodebookError, QualcodeError
from qualcode.exchange.refi import description_with_extras, split_extras
from qualcode.model import Code, Codebook
from qualcode.segment import Segmenter
from qualcode.store import MIGRATIONS, Project
from qualcode.study import import_files, init_project

from .conftest import SAMPLE_CODEBOOK, SHARED

HANT = SHARED / "corpora" / "audreyt_transcript_cc0" / "zh-Hant"
needs_corpus = pytest.mark.skipif(not HANT.is_dir(), reason="the CC0 corpus is not in ../shared")

RULES = """\
qualcode_codebook: 1
name: 规则
codes:
  - id: stability
    label: 系统稳定性
    keywords: [闪退, 转圈]
    patterns:
      - (一直|老是)在?转
  - id: publicity
    label: 宣传
    keywords: [宣传, 下载]
    match: substring
  - id: attitude
    label: 态度
    token_patterns:
      - [{LOWER: {IN: [挺, 很]}}, {LOWER: {IN: [方便, 麻烦]}}]
"""


def load(text: str) -> Codebook:
    return parse_codebook(dedent(text), path="book.yaml")


def error_of(text: str) -> CodebookError:
    with pytest.raises(CodebookError) as caught:
        load(text)
    return caught.value


# --- the codebook's rule fields ----------------------------------------------------------------


def test_rule_fields_load_and_round_trip_through_yaml():
    book = load(RULES)
    codes = book.by_id()
    assert codes["stability"].patterns == ["(一直|老是)在?转"]
    assert codes["stability"].match == "word"
    assert codes["publicity"].match == "substring"
    assert codes["attitude"].token_patterns == [
        [{"LOWER": {"IN": ["挺", "很"]}}, {"LOWER": {"IN": ["方便", "麻烦"]}}]
    ]
    text = dump_codebook(book)
    assert "match: word" not in text  # the default is not written
    assert parse_codebook(text) == book
    assert dump_codebook(parse_codebook(text)) == text


def test_token_pattern_values_keep_their_types():
    book = load(
        RULES.replace(
            "[{LOWER: {IN: [挺, 很]}}, {LOWER: {IN: [方便, 麻烦]}}]",
            "[{LENGTH: 2, IS_PUNCT: false}, {LOWER: 'yes', OP: '?'}]",
        )
    )
    assert book.by_id()["attitude"].token_patterns == [
        [{"LENGTH": 2, "IS_PUNCT": False}, {"LOWER": "yes", "OP": "?"}]
    ]
    assert parse_codebook(dump_codebook(book)) == book


def test_the_sample_codebook_shows_every_rule_kind():
    from qualcode.codebook import load_codebook

    codes = load_codebook(SAMPLE_CODEBOOK).by_id()
    assert codes["problems.stability"].patterns
    assert codes["tpb.attitude"].token_patterns
    assert codes["tpb"].match == "substring"


def test_a_bad_regular_expression_is_reported_at_its_line():
    error = error_of(RULES.replace("      - (一直|老是)在?转", "      - (一直|老是在?转"))
    assert error.line == 8
    assert "code 'stability': pattern '(一直|老是在?转' is not a valid regular expression" in str(
        error
    )


def test_a_pattern_matching_empty_text_is_refused():
    error = error_of(RULES.replace("(一直|老是)在?转", "转*"))
    assert error.line == 8 and "matches empty text" in error.message


def test_an_unknown_match_mode_is_refused_with_the_choices():
    error = error_of(RULES.replace("match: substring", "match: whole"))
    assert error.line == 12
    assert "'match: word'" in error.message and "'match: substring'" in error.message


def test_a_bad_token_pattern_points_at_the_bad_token():
    text = RULES.replace(
        "      - [{LOWER: {IN: [挺, 很]}}, {LOWER: {IN: [方便, 麻烦]}}]",
        "      - - {LOWER: 挺}\n        - {LOWR: 方便}",
    )
    error = error_of(text)
    assert error.line == 17
    assert "token pattern 1: token 2 (LOWR)" in error.message


def test_a_token_pattern_on_tags_our_pipeline_lacks_is_refused():
    error = error_of(RULES.replace("{LOWER: {IN: [方便, 麻烦]}}", "{POS: ADJ}"))
    assert error.line == 16 and "tests POS" in error.message


def test_token_patterns_must_be_lists_of_token_mappings():
    error = error_of(
        RULES.replace(
            "      - [{LOWER: {IN: [挺, 很]}}, {LOWER: {IN: [方便, 麻烦]}}]", "      - 挺方便"
        )
    )
    assert error.line == 16 and "must be a list of tokens" in error.message


def test_a_codebook_built_in_memory_is_checked_too():
    book = load(RULES)
    book.by_id()["stability"].patterns.append("[")
    with pytest.raises(CodebookError, match="pattern '\\[' is not a valid"):
        validate_codebook(book)
    book = load(RULES)
    book.by_id()["publicity"].match = "fuzzy"  # type: ignore[assignment]
    with pytest.raises(CodebookError, match="'match' must be word or substring"):
        dump_codebook(book)


def test_diff_and_merge_know_the_rule_fields():
    old = load(RULES)
    new = copy.deepcopy(old)
    new.by_id()["stability"].patterns.append("提交.{0,6}失败")
    new.by_id()["attitude"].token_patterns = []
    new.by_id()["publicity"].match = "word"
    rows = diff_codebooks(old, new).rows()
    assert (
        "changed",
        "stability",
        "patterns",
        "[(一直|老是)在?转]",
        "[(一直|老是)在?转, 提交.{0,6}失败]",
    ) in rows
    assert [r[2] for r in rows if r[1] == "attitude"] == ["token_patterns"]
    assert [r[2] for r in rows if r[1] == "publicity"] == ["match"]
    # A blank (or a default 'match: word') takes the other side's rules without a conflict.
    merged = merge_codebooks(new, old)
    assert merged.conflicts[0].field == "patterns" and len(merged.conflicts) == 1
    codes = merged.codebook.by_id()
    assert codes["attitude"].token_patterns == old.by_id()["attitude"].token_patterns
    assert codes["publicity"].match == "substring"


def test_rules_survive_the_refi_description_block():
    book = load(RULES)
    for code in book.by_id().values():
        description, extras, problems = split_extras(description_with_extras(code))
        assert problems == [] and description == ""
        assert ("match" in extras) == (code.match != "word")
        assert extras.get("patterns", []) == code.patterns
        assert extras.get("token_patterns", []) == code.token_patterns


def test_qdc_export_and_import_keep_the_rules(tmp_path):
    from qualcode.exchange.refi import read_qdc, write_qdc

    book = load(RULES)
    write_qdc(book, tmp_path / "rules.qdc")
    read = read_qdc(tmp_path / "rules.qdc", existing=book)
    assert read.warnings == []
    assert read.codebook.by_id() == book.by_id()


def test_a_rule_broken_in_another_program_is_dropped_with_a_warning(tmp_path):
    from qualcode.exchange.refi import read_qdc, write_qdc

    book = load(RULES)
    write_qdc(book, tmp_path / "rules.qdc")
    data = (tmp_path / "rules.qdc").read_text(encoding="utf-8")
    (tmp_path / "rules.qdc").write_text(
        data.replace("(一直|老是)在?转", "(一直|老是在?转"), encoding="utf-8"
    )
    read = read_qdc(tmp_path / "rules.qdc", existing=book)
    assert read.codebook.by_id()["stability"].patterns == []
    assert any(
        "'(一直|老是在?转' is not a valid regular expression" in w and w.endswith("dropped")
        for w in read.warnings
    )


# --- the store keeps the rules ----------------------------------------------------------------


def test_the_project_stores_the_rules_with_the_codebook(tmp_path):
    book = load(RULES)
    with Project.create(tmp_path / "p") as project:
        project.set_codebook(book)
    with Project.open(tmp_path / "p") as project:
        assert project.codebook() == book
        stored = dict(project.conn.execute("SELECT id, rules FROM codes").fetchall())
    assert stored["stability"] == '{"patterns": ["(一直|老是)在?转"]}'
    assert stored["publicity"] == '{"match": "substring"}'


def test_a_project_of_the_previous_schema_gains_the_rules_column(tmp_path):
    folder = tmp_path / "old"
    with Project.create(folder) as project:
        project.set_codebook(load(RULES.split("    patterns:")[0]))
        conn = project.conn
        conn.execute(
            "CREATE TABLE codes_old AS SELECT id, parent_id, position, label, label_en, "
            "color, description, include, exclude, examples, keywords FROM codes"
        )
        conn.execute("DROP TABLE codes")
        conn.execute("ALTER TABLE codes_old RENAME TO codes")
        conn.execute("DELETE FROM migrations WHERE name = '0003_code_rules'")
    with Project.open(folder) as project:
        names = {r[0] for r in project.conn.execute("SELECT name FROM migrations")}
        assert names == {name for name, _ in MIGRATIONS}
        (code,) = project.codebook().codes
        assert (code.id, code.keywords, code.match, code.patterns) == (
            "stability",
            ["闪退", "转圈"],
            "word",
            [],
        )
    (backup,) = folder.glob("qualcode.backup-*.db")
    old = sqlite3.connect(backup)
    assert "rules" not in [r[1] for r in old.execute("PRAGMA table_info(codes)")]


# --- rules on text ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rules():
    return compile_rules(load(RULES))


def keyword_book(keywords: str, match: str) -> Codebook:
    return load(f"""\
        qualcode_codebook: 1
        name: 词
        codes:
          - id: a
            label: 甲
            keywords: [{keywords}]
            match: {match}
        """)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("宣传部来了，宣传也不够。", "宣传"),  # 宣传部 is one word
        ("审核不通过，信号也不通。", "不通"),  # 不/通过
        ("老人们愿不愿意用，我愿意。", "愿意"),  # 愿不愿意 is one word
    ],
)
def test_keywords_match_whole_words_unless_substring(text, keyword):
    word = compile_rules(keyword_book(keyword, "word")).find(text)
    assert [(m.start, m.end) for m in word] == [
        (text.rindex(keyword), text.rindex(keyword) + len(keyword))
    ]
    assert word[0].rule == f"keyword:{keyword}"
    anywhere = compile_rules(keyword_book(keyword, "substring")).find(text)
    assert [text[m.start : m.end] for m in anywhere] == [keyword, keyword]


def test_a_keyword_inside_a_longer_word_is_no_hit_but_standing_alone_is(rules):
    assert rules.codes("它老闪退") == {"stability": ["keyword:闪退"]}
    assert rules.codes("不闪退了") == {"stability": ["keyword:闪退"]}  # negation is not guessed
    # 转圈圈 is not a word jieba knows, and 转圈 is a user word: whole-word hits only
    segmenter = rules.segmenter
    for text in ("那个圈一直在转圈", "转圈转了半天", "一转圈就卡"):
        hits = [m for m in rules.find(text) if m.rule == "keyword:转圈"]
        bounds = {0, *(w.end for w in segmenter.words(text))}
        assert all(m.start in bounds and m.end in bounds for m in hits)


def test_patterns_and_token_patterns_fire_with_their_rule(rules):
    text = "点进去一直转，感觉挺麻烦的。"
    found = [(m.code_id, m.rule, text[m.start : m.end]) for m in rules.find(text)]
    assert ("stability", "pattern:(一直|老是)在?转", "一直转") in found
    assert (
        "attitude",
        'tokens:[{"LOWER":{"IN":["挺","很"]}},{"LOWER":{"IN":["方便","麻烦"]}}]',
        "挺麻烦",
    ) in found


def test_rules_pickle_to_an_equal_compiled_copy(rules):
    import pickle

    copy_ = pickle.loads(pickle.dumps(rules))
    text = "宣传不够，老闪退，挺方便。"
    assert copy_.find(text) == rules.find(text)


def test_windowed_whole_word_checks_agree_with_segmenting_the_whole_text():
    """Only the run around a hit is segmented; on real interview text that must give the
    boundaries segmenting the whole text gives."""
    book = parse_codebook(SAMPLE_CODEBOOK.read_text(encoding="utf-8"))
    rules = compile_rules(book)
    substring = copy.deepcopy(book)
    for code in substring.by_id().values():
        code.match = "substring"
    everything = compile_rules(substring)
    segmenter: Segmenter = rules.segmenter
    from qualcode.transcripts import read_transcript

    from .conftest import SAMPLE_TRANSCRIPTS

    checked = 0
    for path in SAMPLE_TRANSCRIPTS:
        text = to_simplified(read_transcript(path).text)[0]
        bounds = {0, *(w.end for w in segmenter.words(text))}
        expected = {
            (m.start, m.end, m.rule)
            for m in everything.find(text)
            if m.start in bounds
            and m.end in bounds
            and not m.rule.startswith(("pattern:", "tokens:"))
            and m.code_id != "tpb"
        }
        got = {
            (m.start, m.end, m.rule)
            for m in rules.find(text)
            if m.rule.startswith("keyword:") and m.code_id != "tpb"
        }
        assert got == expected
        checked += len(got)
    assert checked > 300


@needs_corpus
def test_a_simplified_codebook_codes_a_traditional_transcript():
    text = (
        HANT / "at08_2017-08-08-personal-data-authority-research-interview.zh-Hant.md"
    ).read_text(encoding="utf-8")
    rules = compile_rules(
        load("""\
        qualcode_codebook: 1
        name: 个资
        codes:
          - id: data
            label: 个人资料
            keywords: [个人资料, 机关, 个资]
        """)
    )
    hits = rules.find(text)
    assert len(hits) > 40
    assert {text[m.start : m.end] for m in hits} == {"個人資料", "機關", "個資"}
    # a traditional codebook codes simplified text just as well
    hant = compile_rules(
        load("""\
        qualcode_codebook: 1
        name: 個資
        codes:
          - id: data
            label: 個人資料
            keywords: [個人資料]
        """)
    )
    assert [(m.start, m.end) for m in hant.find("保护个人资料很重要")] == [(2, 6)]


@needs_corpus
def test_a_conversion_that_changes_length_maps_spans_back_onto_the_original():
    """tw2sp turns Taiwanese phrases into mainland ones (使用者 → 用户, 簡報 → 演示文稿):
    hits on the converted text must still land on the original words."""
    text = (HANT / "at01_2018-05-25-ntpu-thesis-interview.zh-Hant.md").read_text(encoding="utf-8")
    converted, offsets = to_simplified(text, "tw2sp")
    assert offsets is not None and len(converted) != len(text)
    assert len(offsets.starts) == len(offsets.ends) == len(converted) + 1
    assert offsets.starts[0] == 0 and offsets.ends[-1] == len(text)
    assert offsets.starts == sorted(offsets.starts) and offsets.ends == sorted(offsets.ends)
    rules = compile_rules(
        load("""\
        qualcode_codebook: 1
        name: 用户
        codes:
          - id: users
            label: 用户
            keywords: [用户, 演示文稿, 机关]
            match: substring
        """),
        conversion="tw2sp",
    )
    hits = rules.find(text)
    assert {text[m.start : m.end] for m in hits} == {"使用者", "簡報", "機關"}
    assert len(hits) == sum(converted.count(k) for k in ("用户", "演示文稿", "机关"))


def test_to_simplified_keeps_positions_when_it_can():
    assert to_simplified("這個網站資訊過時") == ("这个网站资讯过时", None)


# --- suggestions in a project ------------------------------------------------------------------


def test_autocode_stores_suggestions_once_and_never_brings_back_a_rejected_one(sample_project):
    first = autocode.autocode(sample_project)
    assert first.total_added == first.total_matched > 300
    assert set(first.added) <= set(first.code_ids)
    pending = autocode.suggestions(sample_project)
    assert len(pending) == first.total_added
    one = pending[0]
    assert (
        one.status == "suggested"
        and one.coder == "auto"
        and one.rule.startswith(("keyword:", "pattern:", "tokens:"))
    )
    sentence_spans = {(s.start, s.end) for s in sample_project.transcript(one.transcript).sentences}
    assert (one.start, one.end) in sentence_spans

    again = autocode.autocode(sample_project)
    assert again.total_added == 0 and again.total_matched == first.total_matched

    autocode.reject(sample_project, [one.id])
    autocode.autocode(sample_project)
    assert sample_project.coding(one.id).status == "rejected"
    assert len(autocode.suggestions(sample_project)) == first.total_added - 1
    same = [
        c
        for c in sample_project.codings(status=None)
        if (c.transcript, c.start, c.end, c.code_id)
        == (one.transcript, one.start, one.end, one.code_id)
    ]
    assert len(same) == 1


def test_the_rule_text_names_every_rule_that_fired(sample_project):
    autocode.autocode(sample_project, ["causes.publicity"])
    rules = {c.rule for c in autocode.suggestions(sample_project)}
    assert "keyword:宣传" in rules
    for coding in autocode.suggestions(sample_project):
        for rule in coding.rule.split("; "):
            if rule.startswith("keyword:"):
                assert rule[len("keyword:") :] in coding.text


def test_a_dry_run_counts_and_writes_nothing(sample_project):
    result = autocode.autocode(sample_project, ["problems.stability"], dry_run=True)
    assert result.total_added == result.total_matched > 5
    assert autocode.suggestions(sample_project) == []
    assert sample_project.undo() is None


def test_a_sentence_already_coded_with_the_code_is_not_suggested(sample_project):
    stored = sample_project.transcript("A01")
    rules = compile_rules(sample_project.codebook(), ["causes.publicity"])
    sentence = next(s for s in stored.sentences if rules.codes(s.text))
    sample_project.add_coding(
        stored.name, sentence.start + 1, sentence.end, "causes.publicity", "wang"
    )
    autocode.autocode(sample_project, ["causes.publicity"])
    assert all(
        c.start != sentence.start for c in autocode.suggestions(sample_project, transcript="A01")
    )


def test_turns_as_units_cover_the_turn_body_without_its_label(sample_project):
    autocode.autocode(sample_project, ["causes.publicity"], unit="turn")
    found = autocode.suggestions(sample_project)
    assert found
    stored = sample_project.transcript(found[0].transcript)
    bodies = {(t.body_start, t.end) for t in stored.turns}
    for coding in found:
        if coding.transcript != stored.name:
            continue
        assert any(s <= coding.start < coding.end <= e for s, e in bodies)
        assert coding.text == coding.text.strip() and "：" not in coding.text[:4]


def test_autocode_is_one_undoable_action(sample_project):
    result = autocode.autocode(sample_project)
    assert sample_project.undo().action == f"suggest {result.total_added}"
    assert autocode.suggestions(sample_project) == []


def test_autocode_without_rules_says_what_to_do(tmp_path):
    with Project.create(tmp_path / "p") as project:
        project.set_codebook(Codebook("空", [Code("a", "甲")]))
        with pytest.raises(QualcodeError, match="no code has keywords"):
            autocode.autocode(project)


@needs_corpus
def test_a_traditional_transcript_in_a_project_gets_suggestions_on_its_own_text(tmp_path):
    source = HANT / "at02_2026-04-26-masters-thesis-interview.zh-Hant.md"
    with init_project(tmp_path / "p", SAMPLE_CODEBOOK) as project:
        import_files(project, [source])
        result = autocode.autocode(project)
        assert result.total_added > 10
        texts = [c.text for c in autocode.suggestions(project)]
        assert any("個人資料" in t or "資訊" in t or "隱私" in t for t in texts)


# --- review --------------------------------------------------------------------------------------


def test_accept_and_reject_by_ids_code_and_score(sample_project):
    autocode.autocode(sample_project)
    pending = autocode.suggestions(sample_project)
    by_code = [c for c in pending if c.code_id == "causes.publicity"]
    accepted = autocode.accept(sample_project, code_id="causes.publicity", coder="wang")
    assert [c.id for c in accepted] == [c.id for c in by_code]
    confirmed = sample_project.codings(code_id="causes.publicity")
    assert {c.id for c in confirmed} == {c.id for c in by_code}
    assert {c.coder for c in confirmed} == {"wang"}
    assert all(c.rule.startswith(("keyword:", "pattern:")) for c in confirmed)
    assert sample_project.undo().action == f"accept {len(by_code)}"
    assert {c.status for c in autocode.suggestions(sample_project, code_id="causes.publicity")} == {
        "suggested"
    }

    some = [c.id for c in pending[:3]]
    rejected = autocode.reject(sample_project, some)
    assert [c.id for c in rejected] == some
    assert {sample_project.coding(i).status for i in some} == {"rejected"}
    with pytest.raises(QualcodeError, match="is not a suggestion to review \\(it is rejected\\)"):
        autocode.accept(sample_project, some[:1])
    with pytest.raises(QualcodeError, match="name the suggestions"):
        autocode.reject(sample_project)
    # rule suggestions have no score: a score filter selects none of them
    assert autocode.accept(sample_project, min_score=0.5) == []


def test_accepting_for_a_coder_who_already_has_the_coding_keeps_one(sample_project):
    autocode.autocode(sample_project, ["causes.publicity"])
    one = autocode.suggestions(sample_project)[0]
    sample_project.add_coding(one.transcript, one.start, one.end, one.code_id, "wang")
    autocode.accept(sample_project, [one.id], coder="wang")
    same = [
        c
        for c in sample_project.codings(coder="wang")
        if (c.start, c.end, c.code_id) == (one.start, one.end, one.code_id)
    ]
    assert len(same) == 1


# --- the commands -----------------------------------------------------------------------------


def run(*args: object, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_cli_autocode_review_and_undo(sample_project_dir: Path, tmp_path: Path):
    study = sample_project_dir
    dry = run("autocode", study, "--codes", "causes.publicity,problems.stability", "--dry-run")
    assert "would store" in dry.output and "causes.publicity" in dry.output
    table = tmp_path / "auto.csv"
    run(
        "autocode",
        study,
        "--codes",
        "causes.publicity",
        "--codes",
        "problems.stability",
        "-o",
        table,
    )
    import csv

    with open(table, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["code_id"] for r in rows] == ["problems.stability", "causes.publicity"]
    added = sum(int(r["new"]) for r in rows)
    assert added > 20

    listing = tmp_path / "suggestions.csv"
    run("suggestions", study, "--code", "causes.publicity", "-o", listing)
    with open(listing, encoding="utf-8-sig", newline="") as handle:
        suggestions = list(csv.DictReader(handle))
    assert suggestions and all(r["code_id"] == "causes.publicity" for r in suggestions)
    assert all(r["rule"] and r["text"] for r in suggestions)

    first = suggestions[0]["id"]
    assert "accepted 1 suggestion " in run("accept", study, first, "--coder", "wang").output
    out = run("reject", study, "--code", "problems.stability").output
    assert out.startswith("rejected ")
    run("autocode", study)
    again = run("autocode", study, "--codes", "problems.stability")
    assert "stored 0 suggestions" in again.output
    bare = run("accept", study, ok=False)
    assert bare.exit_code == 1 and "name the suggestions" in bare.output
    wrong = run("accept", study, first, ok=False)
    assert wrong.exit_code == 1 and "it is confirmed" in wrong.output
    assert run("undo", study).output.startswith("undid: suggest")


def test_skipping_texts_no_token_pattern_can_match_changes_no_result():
    """Texts without a token pattern's required words are not tokenised: on the sample
    study's text the hits are those of running the matcher on every sentence."""
    from qualcode.codebook import load_codebook
    from qualcode.transcripts import read_transcript

    from .conftest import SAMPLE_TRANSCRIPTS

    rules = compile_rules(load_codebook(SAMPLE_CODEBOOK))
    unfiltered = compile_rules(load_codebook(SAMPLE_CODEBOOK))
    unfiltered._token_filters = [[] for _ in unfiltered._token_filters]
    sentences = [s for path in SAMPLE_TRANSCRIPTS for s in read_transcript(path).text.split("。")]
    tokens = [[m for m in rules.find(s) if m.rule.startswith("tokens:")] for s in sentences]
    assert tokens == [
        [m for m in unfiltered.find(s) if m.rule.startswith("tokens:")] for s in sentences
    ]
    assert sum(map(len, tokens)) >= 3
