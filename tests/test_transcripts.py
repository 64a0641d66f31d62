"""Transcript readers: real files in real encodings, every layout, the real CC0 corpus.

Every parse goes through ``read``/``parse``, which check the offset invariants that the rest of
qualcode relies on (turns ordered, disjoint, inside the text, starting with their label).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.errors import TranscriptError
from qualcode.model import ParsedTranscript
from qualcode.transcripts import (
    SUPPORTED_SUFFIXES,
    UNKNOWN_SPEAKER,
    decode,
    parse_transcript,
    read_transcript,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpora" / "audreyt_transcript_cc0"
FEISHU_SAMPLE = SHARED / "corpora" / "asr_export_format_samples" / "feishu_minutes_sample.txt"
SAMPLE_STUDY = REPO / "transcripts"
SAMPLE_FILES = (
    "A01_zhang.txt",
    "A02_li.docx",
    "A03_wang.txt",
    "A04_chen.txt",
    "A05_zhao.txt",
    "A06_liu.md",
)


# --- helpers --------------------------------------------------------------------------------

# What may come before the speaker's name in a label: Markdown bold or heading marks, a time.
LABEL_MARKUP = re.compile(r"^(?:[*#]+[ \t]*|[\[【(（][\d:.,]+[\]】)）][ \t]*)*")


def check_invariants(parsed: ParsedTranscript) -> ParsedTranscript:
    """What every reader must guarantee about its offsets."""
    text = parsed.text
    assert "\r" not in text
    assert not text.startswith("\ufeff")
    previous_end = 0
    if parsed.header is not None:
        assert 0 <= parsed.header.start < parsed.header.end <= len(text)
        assert not text[parsed.header.start].isspace()
        assert not text[parsed.header.end - 1].isspace()
        previous_end = parsed.header.end
    for turn in parsed.turns:
        assert previous_end <= turn.start < turn.end <= len(text), turn
        assert turn.start <= turn.body_start <= turn.end, turn
        assert not text[turn.start].isspace(), turn
        assert not text[turn.end - 1].isspace(), turn
        label = text[turn.start : turn.body_start]
        assert LABEL_MARKUP.sub("", label).startswith(turn.speaker), (turn, label)
        assert turn.timestamp in label, (turn, label)
        if turn.body_start < turn.end:
            assert not text[turn.body_start].isspace(), turn
        previous_end = turn.end
    return parsed


def write(folder: Path, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path = folder / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def read(path: Path) -> ParsedTranscript:
    return check_invariants(read_transcript(path))


def parse(text: str, kind: str = "txt") -> ParsedTranscript:
    return check_invariants(parse_transcript(text, kind))


def said(parsed: ParsedTranscript) -> list[tuple[str, str]]:
    """``(speaker, words)`` of each turn."""
    return [(t.speaker, parsed.text[t.body_start : t.end]) for t in parsed.turns]


def header_text(parsed: ParsedTranscript) -> str:
    assert parsed.header is not None
    return parsed.text[parsed.header.start : parsed.header.end]


def make_docx(
    path: Path,
    paragraphs: list[str],
    table: list[list[str]] | None = None,
    title: Sequence[str] = (),
) -> Path:
    """A real .docx: title paragraphs, an optional table, then paragraphs."""
    import docx

    document = docx.Document()
    for line in title:
        document.add_paragraph(line)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, cells, strict=True):
                cell.text = value
    for line in paragraphs:
        document.add_paragraph(line)
    document.save(str(path))
    return path


# --- speaker-turn layouts -------------------------------------------------------------------

COLON_LAYOUTS = {
    "roles full-width": (
        "访谈者：您平时用政务服务网吗？\n受访者：用过几次。（笑）\n访谈者：好的。",
        ["访谈者", "受访者", "访谈者"],
    ),
    "roles half-width": ("访谈者: 您好\n受访者: 你好", ["访谈者", "受访者"]),
    "traditional roles": ("訪談者：您好嗎？\n受訪者：很好。", ["訪談者", "受訪者"]),
    "question answer": (
        "问：您多大了？\n答：四十五。\n问：做什么工作？\n答：开出租。",
        ["问", "答", "问", "答"],
    ),
    "traditional question": ("問：您好。\n答：你好。", ["問", "答"]),
    "Q A": ("Q: 您怎么看？\nA: 还行吧。", ["Q", "A"]),
    "I R full-width": ("I：您好\nR：你好\nI：再见", ["I", "R", "I"]),
    "bold colon inside": ("**I:** 您好\n**R:** 你好", ["I", "R"]),
    "bold colon outside": ("**I**: 您好\n**R**：你好", ["I", "R"]),
    "bold Chinese": ("**访谈者：** 您好\n**受访者**：你好", ["访谈者", "受访者"]),
    "other roles": (
        "访谈员：一\n被访者：二\n研究者：三\n访谈对象：四\n主持人：五",
        ["访谈员", "被访者", "研究者", "访谈对象", "主持人"],
    ),
    "numbered respondents": (
        "主持人：请说\n受访者A：我先\n受访者1：我再\n受访者 B：最后",
        ["主持人", "受访者A", "受访者1", "受访者 B"],
    ),
    "participant codes": ("P1: 我觉得可以\nP2: 我不同意\nP1: 为什么", ["P1", "P2", "P1"]),
    "English roles": (
        "Interviewer: How often?\nRespondent: Weekly.",
        ["Interviewer", "Respondent"],
    ),
    "recurring names": (
        "张三：你好。\n李老师：你好啊。\n张三：开始吧。\n李老师：好。",
        ["张三", "李老师", "张三", "李老师"],
    ),
    "timestamps": ("[00:01:02] 访谈者：你好\n受访者（00:01:05）：好", ["访谈者", "受访者"]),
    "indented": ("　　访谈者：你好\n　　受访者：好的", ["访谈者", "受访者"]),
}


@pytest.mark.parametrize("text, speakers", COLON_LAYOUTS.values(), ids=COLON_LAYOUTS.keys())
def test_colon_labels(tmp_path: Path, text: str, speakers: list[str]) -> None:
    parsed = read(write(tmp_path, "t.txt", text))
    assert [t.speaker for t in parsed.turns] == speakers
    assert parsed.format == "txt"
    assert parsed.warnings == []
    assert all(words for _, words in said(parsed))


def test_label_keeps_its_markup_and_the_words_follow() -> None:
    parsed = parse("**访谈者：** 您好\n受访者（00:01:05）：好")
    first, second = parsed.turns
    assert parsed.text[first.start : first.body_start] == "**访谈者：** "
    assert parsed.text[second.start : second.body_start] == "受访者（00:01:05）："
    assert second.timestamp == "00:01:05"


def test_a_quotation_is_not_a_label() -> None:
    text = "访谈者：他们怎么说？\n受访者：窗口的人说：明天再来。\n他说：好的，我明天再来。\n访谈者：嗯。"
    parsed = parse(text)
    assert [t.speaker for t in parsed.turns] == ["访谈者", "受访者", "访谈者"]
    assert said(parsed)[1][1] == "窗口的人说：明天再来。\n他说：好的，我明天再来。"


def test_a_name_used_once_is_a_speaker_and_reported() -> None:
    # Labels recur through the file, so a speaker with one turn (a focus group member who
    # speaks once) is taken; the import names the line so a wrong guess is seen.
    parsed = parse("访谈者：谁负责？\n受访者：我们主任。\n王主任：你们好。\n访谈者：好。")
    assert [t.speaker for t in parsed.turns] == ["访谈者", "受访者", "王主任", "访谈者"]
    assert any("line 3" in w and "王主任" in w and "only" in w for w in parsed.warnings)


def test_a_name_used_once_among_few_labels_is_reported_not_taken() -> None:
    parsed = parse("访谈者：谁负责？\n王主任：你们好。\n访谈者：好。")
    assert [t.speaker for t in parsed.turns] == ["访谈者", "访谈者"]
    assert any("line 2" in w and "王主任" in w and "not taken" in w for w in parsed.warnings)


def test_everyday_words_before_a_colon_are_not_names() -> None:
    text = (
        "张三：第一点。\n时间：不够。\n方面：很多。\n张三：第二点。\n时间：还是不够。\n方面：还有。"
    )
    parsed = parse(text)
    assert [t.speaker for t in parsed.turns] == ["张三", "张三"]


def test_turn_runs_to_the_last_word_before_the_next_label() -> None:
    text = "访谈者：第一段。\n\n第二段，同一个人。\n\n\n受访者：回答。  \n\n"
    parsed = parse(text)
    first, second = parsed.turns
    assert parsed.text[first.start : first.end] == "访谈者：第一段。\n\n第二段，同一个人。"
    assert parsed.text[second.start : second.end] == "受访者：回答。"


def test_label_alone_on_its_line() -> None:
    parsed = parse("访谈者：\n您好，我们开始吧。\n受访者：\n好。")
    assert said(parsed) == [("访谈者", "您好，我们开始吧。"), ("受访者", "好。")]


def test_notes_stay_in_the_text() -> None:
    parsed = parse("访谈者：您说呢？\n受访者：（笑）这个嘛【听不清】反正不好用。（停顿）")
    assert said(parsed)[1] == ("受访者", "（笑）这个嘛【听不清】反正不好用。（停顿）")


def test_markdown_heading_labels(tmp_path: Path) -> None:
    text = (
        "# 2018-05-25 臺北大學張同學訪談\n\n### 唐鳳：\n你的論文研究期間到什麼時候？\n\n"
        "### 張同學：\n我希望今年可以統整。\n\n第二段。\n\n> (Part 2 - 實質討論)\n\n"
        "### 黃東益教授：\n\n\n### peggy-lo：\n補充一下。\n"
    )
    parsed = read(write(tmp_path, "t.md", text))
    assert parsed.format == "md"
    assert [t.speaker for t in parsed.turns] == ["唐鳳", "張同學", "黃東益教授", "peggy-lo"]
    assert parsed.metadata == {"标题": "2018-05-25 臺北大學張同學訪談"}
    assert header_text(parsed) == "# 2018-05-25 臺北大學張同學訪談"
    empty = parsed.turns[2]
    assert parsed.text[empty.start : empty.end] == "### 黃東益教授："
    assert empty.body_start == empty.end
    assert said(parsed)[1][1].startswith("我希望今年可以統整。\n\n第二段。")


IFLYTEK = (
    "A04陈先生访谈录音\n\n"
    "说话人1 00:00:04\n陈师傅您好，今天耽误您一点时间。\n\n"
    "说话人2 00:00:28\n可以可以，你问吧。\n\n不过我先说啊，我不太懂手机。\n\n"
    "说话人1 00:00:40\n没事没事。\n"
)


def test_iflytek_blocks(tmp_path: Path) -> None:
    parsed = read(write(tmp_path, "a04.txt", IFLYTEK, "utf-8-sig"))
    assert parsed.format == "iflytek"
    assert parsed.encoding == "utf-8-sig"
    assert parsed.metadata == {"标题": "A04陈先生访谈录音"}
    assert header_text(parsed) == "A04陈先生访谈录音"
    assert [(t.speaker, t.timestamp) for t in parsed.turns] == [
        ("说话人1", "00:00:04"),
        ("说话人2", "00:00:28"),
        ("说话人1", "00:00:40"),
    ]
    # A blank line, then a paragraph with no label: the same speaker goes on.
    assert said(parsed)[1] == ("说话人2", "可以可以，你问吧。\n\n不过我先说啊，我不太懂手机。")


FEISHU = (
    "2024年4月2日 上午 10:15|38分钟 12秒\n\n关键词:\n江城办、社保、人脸识别、窗口\n\n文字记录:\n"
    "发言人 1  00:01:12\n赵姐您好，那我们就开始了啊。\n\n"
    "发言人 2 01:15\n好的好的，没问题。\n\n"
    "张三 00:05:40\n我插一句。\n\n发言人 1 00:05:52\n请说。\n\n张三 00:06:01\n说完了。\n"
)


def test_feishu_blocks_and_header(tmp_path: Path) -> None:
    parsed = read(write(tmp_path, "a05.txt", FEISHU))
    assert parsed.format == "feishu"
    assert parsed.metadata == {
        "日期": "2024年4月2日 上午 10:15",
        "时长": "38分钟 12秒",
        "关键词": "江城办、社保、人脸识别、窗口",
    }
    assert header_text(parsed).startswith("2024年4月2日")
    assert header_text(parsed).endswith("文字记录:")
    assert [(t.speaker, t.timestamp) for t in parsed.turns] == [
        ("发言人 1", "00:01:12"),
        ("发言人 2", "01:15"),
        ("张三", "00:05:40"),
        ("发言人 1", "00:05:52"),
        ("张三", "00:06:01"),
    ]
    assert said(parsed)[0] == ("发言人 1", "赵姐您好，那我们就开始了啊。")


def test_iflytek_words_on_the_label_line() -> None:
    parsed = parse(
        "说话人1 00:00:03 你好。\n说话人2 00:00:05 嗯，好的。\n\n说话人1 00:00:09\n再见。"
    )
    assert parsed.format == "iflytek"
    assert said(parsed) == [("说话人1", "你好。"), ("说话人2", "嗯，好的。"), ("说话人1", "再见。")]


def test_a_name_and_a_time_must_be_alone_on_their_line() -> None:
    parsed = parse("张三 00:05:40 我先说\n张三 00:05:50 又说")
    assert [t.speaker for t in parsed.turns] == [UNKNOWN_SPEAKER]


def test_asr_speaker_ids_with_a_colon() -> None:
    parsed = parse("[00:00:00] SPEAKER_00: 你好\n[00:00:05] SPEAKER_01: 好\n说话人1：嗯")
    assert [(t.speaker, t.timestamp) for t in parsed.turns] == [
        ("SPEAKER_00", "00:00:00"),
        ("SPEAKER_01", "00:00:05"),
        ("说话人1", ""),
    ]


def test_feishu_labels_without_header() -> None:
    parsed = parse("发言人 1 00:03\n你好。\n发言人 2 00:09\n嗯。")
    assert parsed.format == "feishu"
    assert parsed.header is None
    assert [t.speaker for t in parsed.turns] == ["发言人 1", "发言人 2"]


@pytest.mark.skipif(not FEISHU_SAMPLE.exists(), reason=f"{FEISHU_SAMPLE} is absent")
def test_feishu_published_sample() -> None:
    parsed = read(FEISHU_SAMPLE)
    assert parsed.format == "feishu"
    assert parsed.metadata["关键词"] == "策略、创作者、上传、内容池"
    assert parsed.metadata["日期"] == "2026年6月2日 下午 5:51"
    assert [t.speaker for t in parsed.turns] == ["说话人 1", "说话人 2", "说话人 1", "说话人 3"]
    assert parsed.turns[0].timestamp == "00:03"


def test_unrecognised_layout_is_one_turn_with_a_warning(tmp_path: Path) -> None:
    text = "那天我们在社区中心聊了很久，她说网上办事太麻烦。\n\n后来她又提到孙子帮她注册了账号。\n"
    parsed = read(write(tmp_path, "notes.txt", text))
    assert len(parsed.turns) == 1
    (turn,) = parsed.turns
    assert turn.speaker == UNKNOWN_SPEAKER
    assert parsed.text[turn.start : turn.end] == text.strip()
    assert len(parsed.warnings) == 1
    assert "one turn" in parsed.warnings[0]


# --- header and metadata --------------------------------------------------------------------


def test_header_block_role_line_is_metadata_and_later_a_turn(tmp_path: Path) -> None:
    text = (
        "编号：A01\n时间：2024年3月12日 下午\n地点：江城市某社区服务中心\n"
        "对象：张女士，退休教师，62岁\n访谈者：研究者\n\n"
        "访谈者：张老师您好，谢谢您今天抽时间过来。\n\n受访者：可以可以，没问题。\n"
    )
    parsed = read(write(tmp_path, "a01.txt", text))
    assert parsed.metadata == {
        "编号": "A01",
        "时间": "2024年3月12日 下午",
        "地点": "江城市某社区服务中心",
        "对象": "张女士，退休教师，62岁",
        "访谈者": "研究者",
    }
    assert header_text(parsed) == text.split("\n\n")[0]
    assert said(parsed) == [
        ("访谈者", "张老师您好，谢谢您今天抽时间过来。"),
        ("受访者", "可以可以，没问题。"),
    ]


def test_markdown_title_and_metadata_list(tmp_path: Path) -> None:
    text = (
        "# 访谈记录 A06\n\n- 编号：A06\n- **时间**：2024年4月6日 19:30–20:25\n"
        "- 地点：线上（腾讯会议）\n\n**I:** 刘先生您好。\n\n**R:** 可以，没问题。\n"
    )
    parsed = read(write(tmp_path, "a06.md", text))
    assert parsed.format == "md"
    assert parsed.metadata == {
        "标题": "访谈记录 A06",
        "编号": "A06",
        "时间": "2024年4月6日 19:30–20:25",
        "地点": "线上（腾讯会议）",
    }
    assert header_text(parsed).endswith("- 地点：线上（腾讯会议）")
    assert [t.speaker for t in parsed.turns] == ["I", "R"]


def test_title_line_right_above_the_turns() -> None:
    parsed = parse("江城办使用情况访谈（A03）\nI：您好。\nR：你好。\n")
    assert parsed.metadata == {"标题": "江城办使用情况访谈（A03）"}
    assert [t.speaker for t in parsed.turns] == ["I", "R"]


def test_header_without_a_blank_line_keeps_only_well_known_keys() -> None:
    parsed = parse("编号：A07\n时间：2024-03-05\n访谈者：请问您平时用政务服务网吗？\n受访者：用。")
    assert parsed.metadata == {"编号": "A07", "时间": "2024-03-05"}
    assert [t.speaker for t in parsed.turns] == ["访谈者", "受访者"]


def test_turns_at_the_top_are_not_a_header() -> None:
    parsed = parse("访谈者：您好。\n受访者：你好。\n\n访谈者：开始吧。")
    assert parsed.header is None
    assert parsed.metadata == {}
    assert len(parsed.turns) == 3


def test_text_before_the_first_label_belongs_to_no_turn() -> None:
    text = "# 訪談\n\n（本文為校訂稿。）\n\n### 唐鳳：\n你好。\n"
    parsed = parse(text, "md")
    assert parsed.text[parsed.turns[0].start :].startswith("### 唐鳳：")
    assert "（本文為校訂稿。）" not in header_text(parsed)


# --- encodings and line ends ----------------------------------------------------------------

SIMPLIFIED = (
    "访谈者：您平时会使用政务服务网办理业务吗？\n"
    "受访者：用过几次，主要是社保和公积金的查询，感觉比以前去窗口排队方便多了。（笑）\n"
)
TRADITIONAL = (
    "訪談者：您平時會使用政府服務網站辦理業務嗎？\n"
    "受訪者：用過幾次，主要是健保和勞保的查詢，感覺比以前去櫃檯排隊方便多了。（笑）\n"
)


@pytest.mark.parametrize(
    "text, encoding, expected",
    [
        (SIMPLIFIED, "utf-8", "utf-8"),
        (SIMPLIFIED, "utf-8-sig", "utf-8-sig"),
        (SIMPLIFIED, "utf-16", "utf-16"),  # with a BOM (little-endian here)
        (TRADITIONAL, "utf-16-be", "utf-16"),
        (SIMPLIFIED, "gb18030", "gb18030"),
        (SIMPLIFIED, "gbk", "gb18030"),
        (SIMPLIFIED, "gb2312", "gb18030"),
        (TRADITIONAL, "gb18030", "gb18030"),  # traditional characters exist in GBK too
        (TRADITIONAL, "big5", "big5"),
        (TRADITIONAL, "cp950", "big5"),
    ],
)
def test_encodings(tmp_path: Path, text: str, encoding: str, expected: str) -> None:
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    parsed = read(path)
    assert parsed.text == text
    assert parsed.encoding == expected
    assert len(parsed.turns) == 2


SENTENCES_SIMPLIFIED = [
    "好的。",
    "谢谢",
    "对",
    "嗯，那个，我说不上来。",
    "社区网格员每天都要上门核实情况。",
    "我们这个工作天天跟这个打交道，我有一肚子话要说，哈哈。",
    "江城办的人脸识别老是失败，后来还是去窗口办的。",
]
SENTENCES_TRADITIONAL = [
    "對啊！",
    "謝謝",
    "是",
    "嗯，那個，我說不上來。",
    "這個題目大家未來都會持續關注。",
    "臺灣的數位發展部是很重要的火車頭。",
    "開放政府是比較特別的，因為我們說開放政府是奠基在行政數位化上面。",
]


@pytest.mark.parametrize("sentence", SENTENCES_SIMPLIFIED)
@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_is_not_mistaken_for_big5(sentence: str, encoding: str) -> None:
    assert decode(sentence.encode(encoding)) == (sentence, "gb18030")


@pytest.mark.parametrize("sentence", SENTENCES_TRADITIONAL)
@pytest.mark.parametrize("encoding", ["big5", "cp950"])
def test_big5_is_not_mistaken_for_gbk(sentence: str, encoding: str) -> None:
    assert decode(sentence.encode(encoding)) == (sentence, "big5")


def test_gb18030_four_byte_characters() -> None:
    text = "访谈者：我叫王𠀀，住在䶮口。"  # outside GBK: GB18030 four-byte sequences
    assert decode(text.encode("gb18030")) == (text, "gb18030")


def test_utf8_that_is_not_chinese_stays_utf8() -> None:
    for text in ("Müller: Grüß Gott", "Интервьюер: добрый день", "café"):
        assert decode(text.encode("utf-8")) == (text, "utf-8")


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_line_ends_are_normalised(tmp_path: Path, newline: str, encoding: str) -> None:
    text = "江城办使用情况访谈（A03）\nI：您好。\n\nR：你好。\n"
    parsed = read(write(tmp_path, "a03.txt", text, encoding, newline))
    assert parsed.text == text
    assert parsed.encoding == encoding
    assert said(parsed) == [("I", "您好。"), ("R", "你好。")]


# --- .docx ----------------------------------------------------------------------------------


def test_docx_metadata_table_then_paragraphs(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "a02.docx",
        ["问：李先生您好。", "答：没事没事，（笑）你问吧。", "", "问：好的。", "答：做建材的。"],
        table=[["编号", "A02"], ["时间", "2024年3月15日 上午"], ["受访者", "李先生"]],
    )
    parsed = read(path)
    assert parsed.format == "docx"
    assert parsed.text.startswith("编号\tA02\n时间\t2024年3月15日 上午\n受访者\t李先生\n问：")
    assert parsed.metadata == {"编号": "A02", "时间": "2024年3月15日 上午", "受访者": "李先生"}
    assert header_text(parsed) == "编号\tA02\n时间\t2024年3月15日 上午\n受访者\t李先生"
    assert said(parsed) == [
        ("问", "李先生您好。"),
        ("答", "没事没事，（笑）你问吧。"),
        ("问", "好的。"),
        ("答", "做建材的。"),
    ]


def test_docx_title_and_wide_metadata_table(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "t.docx",
        ["访谈者：您好。", "受访者：你好。"],
        table=[["编号", "A09", "时间", "2024-05-01"], ["地点", "线上", "对象", "王女士"]],
        title=["访谈记录"],
    )
    parsed = read(path)
    assert parsed.metadata == {
        "标题": "访谈记录",
        "编号": "A09",
        "时间": "2024-05-01",
        "地点": "线上",
        "对象": "王女士",
    }
    assert [t.speaker for t in parsed.turns] == ["访谈者", "受访者"]


def test_docx_table_of_turns(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "t.docx",
        [],
        table=[
            ["访谈者", "您平时用江城办吗？"],
            ["受访者", "用，查社保。"],
            ["访谈者", "好用吗？"],
        ],
        title=["一", "二", "三"],  # too far down to be a metadata table
    )
    parsed = read(path)
    assert said(parsed) == [
        ("访谈者", "您平时用江城办吗？"),
        ("受访者", "用，查社保。"),
        ("访谈者", "好用吗？"),
    ]


def test_docx_that_is_only_a_table_of_turns(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "t.docx", [], table=[["访谈者", "您好。"], ["受访者", "你好。"]], title=["访谈"]
    )
    parsed = read(path)
    assert parsed.metadata == {"标题": "访谈"}
    assert said(parsed) == [("访谈者", "您好。"), ("受访者", "你好。")]


def test_docx_merged_cells_and_breaks_in_a_cell(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    grid = document.add_table(rows=2, cols=3)
    merged = grid.cell(0, 0).merge(grid.cell(0, 2))
    merged.text = "访谈基本信息"
    grid.cell(1, 0).text = "对象"
    grid.cell(1, 1).text = "陈先生"
    grid.cell(1, 2).text = "45岁"
    paragraph = document.add_paragraph("问：您好。")
    paragraph.add_run().add_break()
    paragraph.add_run("我们开始吧。")
    document.add_paragraph("答：好。")
    path = tmp_path / "t.docx"
    document.save(str(path))
    parsed = read(path)
    assert parsed.text.splitlines()[:2] == ["访谈基本信息", "对象\t陈先生\t45岁"]
    assert said(parsed) == [("问", "您好。\n我们开始吧。"), ("答", "好。")]
    assert parsed.metadata["标题"] == "访谈基本信息"
    assert parsed.metadata["对象"] == "陈先生\t45岁"


def test_docx_without_table(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "t.docx", ["I：您好。", "R：你好。", "I：再见。"])
    parsed = read(path)
    assert parsed.text == "I：您好。\nR：你好。\nI：再见。"
    assert parsed.header is None
    assert [t.speaker for t in parsed.turns] == ["I", "R", "I"]


# --- errors ---------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    for name, data in (("a.txt", b""), ("b.txt", b"\xef\xbb\xbf \r\n\n"), ("c.md", b"\n\n")):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(TranscriptError, match="empty") as caught:
            read_transcript(path)
        assert str(path) in str(caught.value)


def test_empty_docx(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="empty"):
        read_transcript(make_docx(tmp_path / "e.docx", []))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        bytes(range(256)) * 4,
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 30,
        "访谈者：你好".encode() + b"\x00\x00\x00",
    ],
    ids=["png", "all bytes", "zip", "text with NULs"],
)
def test_binary_junk(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(data)
    with pytest.raises(TranscriptError, match="binary") as caught:
        read_transcript(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "text, encoding",
    [
        ("Interviewer: So you’d say the portal is “fine”? Respondent: Naïve, but yes.", "cp1252"),
        ("インタビュアー：今日はよろしくお願いします。回答者：こちらこそ。", "shift_jis"),
    ],
)
def test_foreign_encoding_is_named(tmp_path: Path, text: str, encoding: str) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(TranscriptError, match=f"it may be {encoding}.*save it as UTF-8"):
        read_transcript(path)


def test_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes("访谈者：".encode() + b"\xff\xfe\x80\xff" * 10)
    with pytest.raises(TranscriptError, match="UTF-8") as caught:
        read_transcript(path)
    assert str(path) in str(caught.value)
    assert "save it as UTF-8" in str(caught.value)


def test_garbled_bytes_are_refused() -> None:
    # Valid GB18030 that reads as nothing like Chinese (hangul, kana, private use).
    data = ("가나다ｱｲｳ\ue000\ue001" * 5).encode("gb18030")
    with pytest.raises(TranscriptError, match="cannot read this file as Chinese text"):
        decode(data, "x.txt")


def test_unsupported_extension_lists_the_supported_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "t.pdf", "访谈者：你好")
    with pytest.raises(TranscriptError) as caught:
        read_transcript(path)
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in str(caught.value)


def test_old_word_file_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "t.doc", "x")
    with pytest.raises(TranscriptError, match="save it as .docx"):
        read_transcript(path)


def test_damaged_docx(tmp_path: Path) -> None:
    path = write(tmp_path, "t.docx", "访谈者：这不是 Word 文件")
    with pytest.raises(TranscriptError, match="Word"):
        read_transcript(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="cannot read"):
        read_transcript(tmp_path / "nope.txt")


# --- real transcripts -----------------------------------------------------------------------


def corpus_cases() -> list[tuple[Path, int, int]]:
    """``(file, n_turns, n_speaker_labels)`` from the corpus index, both scripts."""
    if not CORPUS.exists():
        return []
    with (CORPUS / "index.csv").open(encoding="utf-8") as handle:
        rows = {row["file_stem"]: row for row in csv.DictReader(handle)}
    cases = []
    for script in ("zh-Hans", "zh-Hant"):
        for path in sorted((CORPUS / script).glob("*.md")):
            row = rows[path.name.split(".")[0]]
            cases.append((path, int(row["n_turns"]), int(row["n_speaker_labels"])))
    return cases


@pytest.mark.skipif(not CORPUS.exists(), reason=f"the CC0 corpus folder {CORPUS} is absent")
@pytest.mark.parametrize(
    "path, n_turns, n_speakers",
    corpus_cases(),
    ids=lambda value: value.name if isinstance(value, Path) else None,
)
def test_real_cc0_transcripts(path: Path, n_turns: int, n_speakers: int) -> None:
    parsed = read(path)
    assert len(parsed.turns) == n_turns
    assert len({t.speaker for t in parsed.turns}) == n_speakers
    assert parsed.format == "md"
    assert parsed.warnings == []
    assert header_text(parsed).startswith("# ")
    assert parsed.metadata["标题"] == header_text(parsed).removeprefix("# ")


def test_corpus_is_found_where_the_repo_expects_it() -> None:
    if not CORPUS.exists():
        pytest.skip(f"the CC0 corpus folder {CORPUS} is absent")
    assert len(corpus_cases()) == 22


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_study_transcripts(name: str) -> None:
    path = SAMPLE_STUDY / name
    if not path.exists():
        pytest.skip(f"{path} is not written yet")
    parsed = read(path)
    assert len(parsed.turns) >= 10
    assert parsed.warnings == []
    assert len({t.speaker for t in parsed.turns}) == 2
    assert parsed.header is not None


def test_sample_study_formats() -> None:
    expected = {
        "A01_zhang.txt": ("txt", "utf-8"),
        "A02_li.docx": ("docx", "utf-8"),
        "A03_wang.txt": ("txt", "gb18030"),
        "A04_chen.txt": ("iflytek", "utf-8-sig"),
        "A05_zhao.txt": ("feishu", "utf-8"),
        "A06_liu.md": ("md", "utf-8"),
    }
    present = {name: kind for name, kind in expected.items() if (SAMPLE_STUDY / name).exists()}
    if not present:
        pytest.skip("the sample study is not written yet")
    for name, (fmt, encoding) in present.items():
        parsed = read_transcript(SAMPLE_STUDY / name)
        assert (parsed.format, parsed.encoding) == (fmt, encoding), name


# --- properties and speed -------------------------------------------------------------------

label_lines = st.sampled_from(
    [
        "访谈者：",
        "受访者:",
        "**I:** ",
        "### 唐鳳：\n",
        "说话人1 00:00:03\n",
        "发言人 2 01:12\n",
        "张三：",
        "编号：A01\n",
        "# 标题\n",
        "- 时间：2024\n",
        "问：",
        "\n",
        "\r\n",
        "\t",
        "（笑）",
    ]
)
chunks = st.lists(st.one_of(st.text(max_size=20), label_lines), max_size=30).map("".join)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(), chunks))
def test_any_text_reads_or_raises_transcript_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode("utf-8"))
    try:
        parsed = read_transcript(path)
    except TranscriptError:
        return
    check_invariants(parsed)
    if parsed.turns or parsed.header:
        assert parsed.text.strip()


def test_a_three_megabyte_transcript_parses_whole(tmp_path: Path) -> None:
    block = (
        "访谈者：您平时会使用政务服务网办理业务吗？比如社保、公积金这些。\n\n"
        "受访者：用过几次，主要是社保的查询，（笑）感觉比以前去窗口排队方便多了。"
        "不过有时候页面加载很慢，人脸识别也老是失败，【听不清】后来还是去窗口办的。\n\n"
    )
    text = "编号：A99\n时间：2024年3月12日\n\n" + block * (3_000_000 // len(block.encode()))
    path = write(tmp_path, "big.txt", text, "gb18030")
    parsed = read_transcript(path)
    assert len(parsed.turns) == 2 * (3_000_000 // len(block.encode()))
