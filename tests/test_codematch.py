"""The code picker's matching: what a researcher types and which codes come up first."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qualcode.codematch import CodeMatcher, pinyin_words, suggest_code_id
from qualcode.model import Code, Codebook


def sample_codebook() -> Codebook:
    """A slice of the sample codebook (codebooks/gov_service.yaml), ids and labels as there."""
    return Codebook(
        name="政务服务网公众使用研究",
        codes=[
            Code(
                "problems",
                "使用问题",
                "Problems in use",
                "#e06c75",
                children=[
                    Code("problems.awareness", "使用与知晓度", "Use and awareness", "#e88388"),
                    Code("problems.usability", "操作体验", "Usability", "#f0a0a8"),
                    Code("problems.security", "信息安全", "Information security", "#d0453a"),
                ],
            ),
            Code(
                "causes",
                "原因",
                "Causes",
                "#d19a66",
                children=[
                    Code("causes.publicity", "宣传推广", "Publicity and promotion", "#e5c07b"),
                    Code("causes.security_management", "安全管理", "Security management"),
                ],
            ),
            Code(
                "tpb",
                "计划行为理论",
                "Theory of planned behaviour",
                "#98c379",
                children=[
                    Code("tpb.attitude", "行为态度", "Attitude", "#a9d18e"),
                    Code("tpb.perceived_control", "知觉行为控制", "Perceived behavioural control"),
                ],
            ),
            Code(
                "suggestions",
                "建议",
                "Suggestions",
                "#61afef",
                children=[Code("suggestions.publicity", "加强宣传", "Better publicity", "#7fbff2")],
            ),
        ],
    )


@pytest.fixture(scope="module")
def matcher() -> CodeMatcher:
    return CodeMatcher(sample_codebook())


def ids(matcher: CodeMatcher, query: str) -> list[str]:
    return [match.code.id for match in matcher.match(query)]


def test_an_empty_query_lists_every_code_in_codebook_order(matcher: CodeMatcher) -> None:
    in_order = [code.id for code, _, _ in sample_codebook().walk()]
    assert ids(matcher, "") == in_order
    assert ids(matcher, "   ") == in_order


def test_pinyin_initials_find_the_chinese_label(matcher: CodeMatcher) -> None:
    # 宣传推广 xctg starts with xc; 加强宣传 jqxc only contains it.
    assert ids(matcher, "xc") == ["causes.publicity", "suggestions.publicity"]
    top = matcher.match("xxaq")[0]
    assert (top.code.id, top.field) == ("problems.security", "initials")


def test_heteronyms_take_the_reading_of_the_phrase(matcher: CodeMatcher) -> None:
    assert ids(matcher, "xwtd") == ["tpb.attitude"]  # 行为 xíngwéi, not hángwéi
    assert "tpb.attitude" not in ids(matcher, "hwtd")


def test_chinese_finds_labels_prefix_before_substring(matcher: CodeMatcher) -> None:
    top = matcher.match("信息")[0]
    assert (top.code.id, top.field) == ("problems.security", "label")
    assert ids(matcher, "宣传") == ["causes.publicity", "suggestions.publicity"]
    assert ids(matcher, "信安") == ["problems.security"]  # characters in order, gaps allowed


def test_english_labels_and_ids_match_in_any_case(matcher: CodeMatcher) -> None:
    assert set(ids(matcher, "secur")[:2]) == {"problems.security", "causes.security_management"}
    assert ids(matcher, "SECUR") == ids(matcher, "secur")
    top = matcher.match("causes.pub")[0]
    assert (top.code.id, top.field) == ("causes.publicity", "id")
    assert ids(matcher, "Causes.Pub")[0] == "causes.publicity"
    assert set(ids(matcher, "pub")[:2]) == {"causes.publicity", "suggestions.publicity"}
    assert ids(matcher, "pbc")[0] == "tpb.perceived_control"  # Perceived behavioural control


def test_full_pinyin_matches_from_a_syllable(matcher: CodeMatcher) -> None:
    assert ids(matcher, "xuanchuan") == ["causes.publicity", "suggestions.publicity"]
    assert ids(matcher, "anquan")[:2] == ["causes.security_management", "problems.security"]
    assert ids(matcher, "uanchuan") == []  # not from the middle of a syllable


def test_an_exact_id_beats_its_children(matcher: CodeMatcher) -> None:
    assert ids(matcher, "causes") == ["causes", "causes.publicity", "causes.security_management"]


def test_every_word_of_a_query_must_match(matcher: CodeMatcher) -> None:
    assert ids(matcher, "info secur") == ["problems.security"]
    assert ids(matcher, "xc jq") == ["suggestions.publicity"]


def test_nothing_matches_nonsense(matcher: CodeMatcher) -> None:
    assert matcher.match("zzqqx") == []


def test_prefix_beats_substring_beats_subsequence() -> None:
    codebook = Codebook(
        "t",
        [
            Code("c1", "爱心企业"),  # axqy: a…q, a subsequence
            Code("c2", "信息安全"),  # xxaq: aq inside
            Code("c3", "安全管理"),  # aqgl: aq at the start
        ],
    )
    ranked = CodeMatcher(codebook).match("aq")
    assert [m.code.id for m in ranked] == ["c3", "c2", "c1"]
    assert ranked[0].score > ranked[1].score > ranked[2].score


def test_labels_with_latin_letters_digits_and_punctuation() -> None:
    codebook = Codebook(
        "t", [Code("app", "App使用（手机）"), Code("net", "5G网络"), Code("q", "？？")]
    )
    matcher = CodeMatcher(codebook)
    assert ids(matcher, "appsy") == ["app"]  # a Latin word stays whole among the initials
    assert ids(matcher, "shiyong") == ["app"]
    assert ids(matcher, "sysj") == ["app"]  # punctuation drops out: appsysj
    assert ids(matcher, "5gwl") == ["net"]
    assert ids(matcher, "？") == ["q"]
    assert pinyin_words("App使用（手机）") == ["app", "shi", "yong", "shou", "ji"]


def test_suggested_ids_are_pinyin_under_the_parent() -> None:
    assert suggest_code_id("数字鸿沟", "problems") == "problems.shu_zi_hong_gou"
    assert suggest_code_id("Digital divide") == "digital_divide"
    assert suggest_code_id("？？") == "code"
    taken = {"causes.xuan_chuan", "causes.xuan_chuan_2"}
    assert suggest_code_id("宣传", "causes", taken) == "causes.xuan_chuan_3"


def test_the_core_module_imports_neither_textual_nor_pypinyin() -> None:
    code = (
        "import sys, qualcode.codematch; "
        "assert 'textual' not in sys.modules; assert 'pypinyin' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
