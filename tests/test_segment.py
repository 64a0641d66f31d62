"""Segmentation: words and sentences as exact code-point spans (real rjieba, jieba and spaCy)."""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys

import jieba
import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.errors import QualcodeError
from qualcode.model import Span, Turn
from qualcode.segment import (
    _JOINING,
    _NOT_JOINING_BLOCKS,
    NO_TURN,
    SENTENCE_COMPONENT,
    Segmentation,
    Segmenter,
    _inside_clusters,
    _tiles,
    segment_transcript,
)

jieba.setLogLevel(logging.WARNING)

# Spoken answers of the kind the sample study holds, and lines of the CC0 Audrey Tang interviews.
SPOKEN = [
    "我都不知道有这个网站，是我女儿帮我弄的。",
    "嗯，就是那个，怎么说呢，反正挺麻烦的。",
    "然后我就去了那个办事大厅，排了两个多小时的队。",
    "对对对，我们单位的人基本上都没用过。",
    "说实话，网上办的话我怕弄错了，还是去窗口放心一点。",
    "他们宣传做得太少了，我身边的人没有一个知道的。",
    "有时候登录不上去，验证码一直收不到，我就放弃了。",
    "老年人用手机本来就不方便，你还要人脸识别，那肯定不行啊。",
    "我觉得最大的问题是部门之间的数据不通。",
    "那个客服电话根本打不进去，打了好几次都是忙音。",
    "其实我挺支持的，但是得有人教一下怎么用。",
    "社保那块儿还行，公积金就比较麻烦，要跑好几趟。",
    "我们是一个on call的角色，就是谁需要什么协助，我们就提供什么协助。",
    "这个题目大家未来都会持续关注。",
    "对，我这个主要的观点是从机关人员这一块出发。",
    "但对行政体系来讲，确实如果你现在是部长信箱的收件人，你也没有什么别的选择。",
    "如果部会自己搞得定的话，就会退到第二线或者是第三线。",
    "這個網站我是聽朋友說的，不然根本不知道。",
    "我用App办了4G卡，花了１２３块钱。",
    "上次去办营业执照，前前后后跑了三趟，真的是太折腾了！",
    "你说的那个小程序，我下载了，但是一直闪退？",
    "唉……反正就这样吧。",
    "呃，我想想啊，大概是去年十月份的时候。",
    "他们说“线上就能办”，结果还是让我去现场。",
    "我觉得吧，这个东西好是好，就是没人知道（笑）。",
]

# Codebook keywords and the spoken sentences they must survive in.
USER_WORDS = ["政务服务网", "一网通办", "江城办", "不知道有"]
USER_WORD_SENTENCES = [
    ("我都不知道有这个政务服务网", ["政务服务网", "不知道有"]),
    ("一网通办说是一网，其实要跑好几个网", ["一网通办"]),
    ("江城办App老是闪退", ["江城办"]),
    ("你去政务服务网上面搜一下，江城办也行", ["政务服务网", "江城办"]),
    ("那个一网通办我用过一次，我不知道有没有用", ["一网通办", "不知道有"]),
]


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter()


@pytest.fixture(scope="module")
def seg_with_words() -> Segmenter:
    return Segmenter(user_words=USER_WORDS)


def pieces(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start : s.end] for s in spans]


def assert_tiles(text: str, spans: list[Span]) -> None:
    position = 0
    for span in spans:
        assert type(span) is Span
        assert span.start == position < span.end, (span, position)
        position = span.end
    assert position == len(text)


def boundaries(spans: list[Span]) -> set[int]:
    return {s.start for s in spans} | {s.end for s in spans}


def cluster_interiors(text: str) -> set[int]:
    """Brute force: every position strictly inside an extended grapheme cluster."""
    return {
        i for m in regex.finditer(r"\X", text) for i in range(m.start() + 1, m.end())
    }  # fmt: skip


# --- words -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", SPOKEN)
def test_words_are_jiebas_words(seg: Segmenter, text: str) -> None:
    words = seg.words(text)
    assert_tiles(text, words)
    assert pieces(text, words) == jieba.lcut(text)


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("访谈是2018-05-25做的", "2018-05-25"),
        ("可以上law.coa.gov.tw查", "law.coa.gov.tw"),
        ("那个T-Road平台", "T-Road"),
        ("发e-mail给我", "e-mail"),
    ],
)
def test_rjieba_keeps_dates_and_domains_whole_where_jieba_splits(
    seg: Segmenter, text: str, whole: str
) -> None:
    if not seg.engine.startswith("rjieba"):
        pytest.skip("the documented differences are rjieba's")
    ours = pieces(text, seg.words(text))
    theirs = jieba.lcut(text)
    assert whole in ours and whole not in theirs
    assert "".join(theirs) == "".join(ours) == text


def test_mixed_text_keeps_exact_offsets(seg: Segmenter) -> None:
    text = "我用App办了4G卡，花了１２３元！網址是https://www.gov.cn/zhengce?id=7。「好用」吗？"
    words = seg.words(text)
    assert_tiles(text, words)
    got = pieces(text, words)
    assert got[:7] == ["我用", "App", "办", "了", "4G", "卡", "，"]
    assert ["１", "２", "３"] == got[got.index("花") + 2 :][:3]
    assert "網址" in got and "「" in got and "」" in got
    assert "www.gov.cn" in got  # rjieba keeps the domain; the URL's pieces keep their offsets
    start = text.index("https")
    assert start in boundaries(words)


def test_whitespace_is_one_token_per_character(seg: Segmenter) -> None:
    text = "好  的\n\n再见\r\n　你好"
    assert pieces(text, seg.words(text)) == [
        "好", " ", " ", "的", "\n", "\n", "再见", "\r\n", "\u3000", "你好",
    ]  # fmt: skip


GRAPHEMES = [
    "👩\u200d👩\u200d👧",  # family: ZWJ sequence
    "🇹🇼",  # flag: regional indicator pair
    "👍🏽",  # skin-tone modifier
    "e\u0301",  # combining acute
    "❤\ufe0f",  # variation selector
    "1\ufe0f\u20e3",  # keycap
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # tag sequence
    "\r\n",
]


@pytest.mark.parametrize("cluster", GRAPHEMES)
def test_words_never_cut_a_grapheme_cluster(seg: Segmenter, cluster: str) -> None:
    text = f"我们家{cluster}都用了{cluster}{cluster}，好{cluster}！"
    words = seg.words(text)
    assert_tiles(text, words)
    assert not boundaries(words) & cluster_interiors(text)
    got = pieces(text, words)
    assert all(cluster in word for word in got if cluster[0] in word)


def test_spans_are_built_like_span() -> None:
    # _tiles fills Span's slots directly; this fails if Span grows a field or a check.
    assert Span.__slots__ == ("start", "end")
    assert [f.name for f in dataclasses.fields(Span)] == ["start", "end"]
    assert not hasattr(Span, "__post_init__")
    assert _tiles([2, 5]) == [Span(0, 2), Span(2, 5)]
    assert hash(_tiles([3])[0]) == hash(Span(0, 3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        _tiles([3])[0].start = 1  # type: ignore[misc]


def test_blocks_skipped_by_the_cluster_search_hold_no_joining_character() -> None:
    everything = "".join(chr(c) for a, b in _NOT_JOINING_BLOCKS for c in range(a, b + 1))
    assert _JOINING.search(everything) is None


# --- user words ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "words"), USER_WORD_SENTENCES)
def test_user_words_stay_whole_in_running_speech(
    seg: Segmenter, seg_with_words: Segmenter, text: str, words: list[str]
) -> None:
    got = pieces(text, seg_with_words.words(text))
    for word in words:
        assert word in got, got
    assert "".join(got) == text


def test_without_user_words_jieba_splits_them(seg: Segmenter) -> None:
    # Why the user words are needed at all.
    for text, word in [
        ("我都不知道有这个政务服务网", "政务服务网"),
        ("一网通办说是一网", "一网通办"),
    ]:
        assert word not in pieces(text, seg.words(text))


def test_user_dictionary_file(tmp_path) -> None:
    path = tmp_path / "userdict.txt"
    path.write_text("\ufeff江城办 3 nz\n\n一网通办\n政务服务网 n\n", encoding="utf-8")
    seg = Segmenter(user_dict=path)
    text = "江城办App老是闪退，一网通办也不行，政务服务网更别提了"
    got = pieces(text, seg.words(text))
    assert {"江城办", "一网通办", "政务服务网"} <= set(got)  # frequency 3 is raised, not obeyed


def test_user_dictionary_errors_say_where(tmp_path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(QualcodeError, match="cannot read the user dictionary") as error:
        Segmenter(user_dict=missing)
    assert error.value.path == str(missing)
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("一网通办\n政务服务网\n".encode("gbk"))
    with pytest.raises(QualcodeError, match="not UTF-8") as error:
        Segmenter(user_dict=gbk)
    assert error.value.line == 1


def test_segmenters_do_not_share_dictionaries(seg: Segmenter, seg_with_words: Segmenter) -> None:
    import rjieba

    text = "我都不知道有这个政务服务网"
    assert "政务服务网" in pieces(text, seg_with_words.words(text))
    assert "政务服务网" not in pieces(text, seg.words(text))
    assert "政务服务网" not in pieces(text, Segmenter().words(text))
    assert "政务服务网" not in rjieba.cut(text)
    assert "政务服务网" not in jieba.lcut(text)


def test_signature_names_engine_rules_and_words(seg: Segmenter, tmp_path) -> None:
    same = Segmenter(user_words=["江城办", "一网通办", "江城办", " 一网通办 "])
    again = Segmenter(user_words=["一网通办", "江城办"])
    assert same.signature == again.signature
    assert same.signature != seg.signature
    assert seg.signature.startswith(seg.engine + "+r")
    assert len(seg.signature) < 64
    path = tmp_path / "d.txt"
    path.write_text("一网通办\n江城办\n", encoding="utf-8")
    from_file = Segmenter(user_dict=path)
    path.write_text("一网通办\n江城办 5\n", encoding="utf-8")
    assert Segmenter(user_dict=path).signature != from_file.signature


def test_falls_back_to_jieba_without_rjieba(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "rjieba", None)  # import rjieba now raises ImportError
    fallback = Segmenter(user_words=["政务服务网"])
    assert fallback.engine.startswith("jieba-")
    for text in SPOKEN[:5]:
        assert pieces(text, fallback.words(text)) == jieba.lcut(text)
    text = "我都不知道有这个政务服务网"
    assert "政务服务网" in pieces(text, fallback.words(text))
    assert "政务服务网" not in jieba.lcut(text)  # jieba's global dictionary is untouched


# --- sentences -----------------------------------------------------------------------------

SENTENCE_CASES = {
    "full stops": ("你好。我是唐凤！你呢？", ["你好。", "我是唐凤！", "你呢？"]),
    "run of stops": ("真的吗？！不会吧……", ["真的吗？！", "不会吧……"]),
    "ellipsis": ("就一直被外面叫做……简单来讲", ["就一直被外面叫做……", "简单来讲"]),
    "ASCII dots": ("我想...算了", ["我想...", "算了"]),
    "single dot": (
        "价格是3.5元，网址law.coa.gov.tw。好",
        ["价格是3.5元，网址law.coa.gov.tw。", "好"],
    ),
    "ASCII !?;": ("真的吗?我不信!OK我们走;好", ["真的吗?", "我不信!", "OK我们走;", "好"]),
    "URL query": ("打开a.php?id=1看看!然后", ["打开a.php?id=1看看!", "然后"]),
    "semicolons": ("第一；第二;第三", ["第一；", "第二;", "第三"]),
    "closing quote": ("他说：“我不知道！”然后就走了。", ["他说：“我不知道！”", "然后就走了。"]),
    "corner brackets": ("「这不是我们的权责。」所以", ["「这不是我们的权责。」", "所以"]),
    "nested closers": ("（他说“好！”）然后", ["（他说“好！”）", "然后"]),
    "ASCII quote": ('He said "go!" then', ['He said "go!" ', "then"]),
    "ASCII bracket": ("(笑!)好", ["(笑!)", "好"]),
    "stop, closer, stop": ("“好！”。再见", ["“好！”。", "再见"]),
    "opening bracket": ("要在之前完成？（笑）这个题目", ["要在之前完成？", "（笑）这个题目"]),
    "line break": ("第一行\n第二行", ["第一行\n", "第二行"]),
    "blank lines": (
        "第一段\n\n第二段。\n\n\n第三段",
        ["第一段\n\n", "第二段。\n\n\n", "第三段"],
    ),
    "CR LF": ("好\r\n再见", ["好\r\n", "再见"]),
    "leading whitespace": ("\n\n  你好。", ["\n\n  你好。"]),
    "whitespace after stop": ("好。 \u3000再见", ["好。 \u3000", "再见"]),
    "only whitespace": (" \n ", [" \n "]),
    "traditional": ("這個網站我不知道。你呢？", ["這個網站我不知道。", "你呢？"]),
    "combining mark after stop": ("好?\u0301 再见", ["好?\u0301 ", "再见"]),
    "empty": ("", []),
}


@pytest.mark.parametrize(("text", "expected"), SENTENCE_CASES.values(), ids=SENTENCE_CASES.keys())
def test_sentence_rules(seg: Segmenter, text: str, expected: list[str]) -> None:
    sentences = seg.sentences(text)
    assert_tiles(text, sentences)
    assert pieces(text, sentences) == expected
    assert boundaries(sentences) <= boundaries(seg.words(text)) | {0}


def test_words_break_at_a_sentence_end_inside_a_jieba_word(seg: Segmenter) -> None:
    text = "然后...好的"  # "..." could join its neighbours in one jieba block
    assert pieces(text, seg.sentences(text)) == ["然后...", "好的"]
    assert 5 in boundaries(seg.words(text))


# --- transcripts ---------------------------------------------------------------------------

TRANSCRIPT = (
    "编号：A01\n时间：2024-03-05\n\n"
    "张三 00:00:12\n我都不知道有这个政务服务网。后来是同事告诉我的！\n\n"
    "访谈员：  那你用过吗？（笑）\n\n"
    "张三 00:01:05\n用过……一网通办说是一网，其实要跑好几个网。\n"
)


def transcript_turns(text: str) -> list[Turn]:
    labels = ["张三 00:00:12\n", "访谈员：", "张三 00:01:05\n"]
    starts = [text.index(label, 1 if i else 0) for i, label in enumerate(labels)]
    starts[2] = text.index(labels[2], starts[1])
    ends = [*starts[1:], len(text)]
    return [
        Turn(start, end, label.split()[0].rstrip("："), start + len(label))
        for start, end, label in zip(starts, ends, labels)
    ]


def test_segment_transcript(seg_with_words: Segmenter) -> None:
    text = TRANSCRIPT
    turns = transcript_turns(text)
    result = seg_with_words.segment_transcript(text, turns)
    assert isinstance(result, Segmentation)
    assert result.signature == seg_with_words.signature
    assert [(text[s.start : s.end], turn) for s, turn in result.sentences] == [
        ("我都不知道有这个政务服务网。", 0),
        ("后来是同事告诉我的！", 0),
        ("那你用过吗？", 1),
        ("（笑）", 1),
        ("用过……", 2),
        ("一网通办说是一网，其实要跑好几个网。", 2),
    ]
    for span, index in result.sentences:
        assert turns[index].body_start <= span.start < span.end <= turns[index].end
    assert_tiles(text, result.words)
    words = pieces(text, result.words)
    assert "政务服务网" in words and "一网通办" in words
    cuts = {t.start for t in turns} | {t.body_start for t in turns} | {t.end for t in turns}
    assert cuts <= boundaries(result.words)


def test_segment_transcript_without_turns_is_one_body(seg: Segmenter) -> None:
    text = "  你好。\n\n我是唐凤！  \n"
    result = segment_transcript(text, [], segmenter=seg)
    assert [(text[s.start : s.end], t) for s, t in result.sentences] == [
        ("你好。", NO_TURN),
        ("我是唐凤！", NO_TURN),
    ]
    assert_tiles(text, result.words)
    assert segment_transcript("", []).sentences == []
    assert segment_transcript("", []).words == []


def test_segment_transcript_rejects_turns_out_of_order(seg: Segmenter) -> None:
    with pytest.raises(ValueError, match="turn 1"):
        seg.segment_transcript("甲：好。乙：好。", [Turn(0, 4, "甲", 2), Turn(3, 8, "乙", 5)])
    with pytest.raises(ValueError, match="turn 0"):
        seg.segment_transcript("甲：好。", [Turn(0, 9, "甲", 2)])


# --- spaCy ---------------------------------------------------------------------------------


def test_spacy_pipeline_gives_the_same_words_and_sentences(seg: Segmenter) -> None:
    nlp = seg.nlp()
    assert seg.nlp() is nlp
    assert nlp.pipe_names == [SENTENCE_COMPONENT]
    for text in [*SPOKEN[:5], TRANSCRIPT, *(case[0] for case in SENTENCE_CASES.values())]:
        doc = nlp(text)
        assert doc.text == text
        assert [t.text for t in doc] == pieces(text, seg.words(text))
        assert [t.idx for t in doc] == [s.start for s in seg.words(text)]
        assert [Span(s.start_char, s.end_char) for s in doc.sents] == seg.sentences(text)
        assert "qualcode.sentence_starts" not in doc.user_data


def test_sentence_component_works_on_docs_from_elsewhere(seg: Segmenter) -> None:
    from spacy.tokens import Doc

    nlp = seg.nlp()
    text = "你好。我是唐凤！（笑）"
    words = pieces(text, seg.words(text))
    doc = nlp.get_pipe(SENTENCE_COMPONENT)(Doc(nlp.vocab, words=words, spaces=[False] * len(words)))
    assert [s.text for s in doc.sents] == ["你好。", "我是唐凤！", "（笑）"]


def test_core_import_loads_neither_spacy_nor_textual() -> None:
    code = "import sys, qualcode.segment; print(sorted({'spacy', 'textual'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- properties ----------------------------------------------------------------------------

ANY_TEXT = st.text(max_size=200)  # hypothesis' default alphabet: every code point but surrogates
FRAGMENTS = [
    "政务服务网", "我", "都", "不知道", "有", "这个", "网站", "，", "。", "！", "？", "……", "；",
    "“", "”", "「", "」", "（", "）", "笑", "App", "4G", "１２３", "https://www.gov.cn/a?b=1",
    "2018-05-25", "這個", "網站", " ", "\n", "\n\n", "\u3000", "...", "!", "?", "👩\u200d👩\u200d👧",
    "🇹🇼", "👍🏽", "e\u0301", "1\ufe0f\u20e3", "\r\n", "嗯", "然后", "就是", "那个",
]  # fmt: skip
MIXED_CHINESE = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check_tiling(seg: Segmenter, text: str) -> None:
    words = seg.words(text)
    sentences = seg.sentences(text)
    assert_tiles(text, words)
    assert_tiles(text, sentences)
    interiors = cluster_interiors(text)
    assert not boundaries(words) & interiors
    assert not boundaries(sentences) & interiors
    assert boundaries(sentences) <= boundaries(words) | {0}
    assert all(not text[s.start].isspace() or s.start == 0 for s in sentences)


@PROPERTY
@given(text=ANY_TEXT)
def test_any_text_tiles(seg: Segmenter, text: str) -> None:
    check_tiling(seg, text)


@PROPERTY
@given(text=MIXED_CHINESE)
def test_mixed_chinese_text_tiles(seg: Segmenter, text: str) -> None:
    check_tiling(seg, text)


# No ASCII runs holding "." or "-": rjieba keeps those whole (2018-05-25, e-mail, 3.5App).
SPOKEN_FRAGMENTS = [
    "政务服务网", "一网通办", "我", "都", "不知道", "有", "这个", "网站", "，", "。", "！", "？",
    "……", "；", "“", "”", "「", "」", "（", "）", "笑", "這個", "網站", " ", "\n", "\u3000", "嗯",
    "然后", "就是", "那个", "办事", "大厅", "跑", "了", "好几趟", "App", "4G", "１２３",
]  # fmt: skip


@PROPERTY
@given(text=st.lists(st.sampled_from(SPOKEN_FRAGMENTS), max_size=40).map("".join))
def test_generated_chinese_gets_jiebas_words(seg: Segmenter, text: str) -> None:
    assert pieces(text, seg.words(text)) == jieba.lcut(text)


@PROPERTY
@given(text=st.one_of(ANY_TEXT, MIXED_CHINESE))
def test_cluster_search_finds_every_cluster(text: str) -> None:
    assert _inside_clusters(text) == cluster_interiors(text)


@settings(PROPERTY, max_examples=60)
@given(text=st.one_of(ANY_TEXT, MIXED_CHINESE))
def test_spacy_docs_match_on_any_text(seg: Segmenter, text: str) -> None:
    doc = seg.nlp()(text)
    assert doc.text == text
    assert [Span(t.idx, t.idx + len(t.text)) for t in doc] == seg.words(text)
    if len(doc):
        assert [Span(s.start_char, s.end_char) for s in doc.sents] == seg.sentences(text)


@PROPERTY
@given(
    text=st.one_of(ANY_TEXT, MIXED_CHINESE),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=9),
)
def test_segment_transcript_on_any_turns(seg: Segmenter, text: str, cuts: list[int]) -> None:
    points = sorted(min(c, len(text)) for c in cuts)
    turns = [
        Turn(points[i], points[i + 2], "甲", points[i + 1]) for i in range(0, len(points) - 2, 3)
    ]
    result = seg.segment_transcript(text, turns)
    assert_tiles(text, result.words)
    word_bounds = boundaries(result.words) | {0}
    assert {t.body_start for t in turns} | {t.end for t in turns} <= word_bounds
    interiors = cluster_interiors(text)
    previous = 0
    for span, index in result.sentences:
        body = turns[index].body if turns else Span(0, len(text))
        assert body.start <= span.start < span.end <= body.end
        assert span.start >= previous
        previous = span.end
        # Trimmed, unless the whitespace belongs to a cluster (" " + combining mark).
        if text[span.start].isspace():
            assert span.start + 1 in interiors
        if text[span.end - 1].isspace():
            assert span.end - 1 in interiors
