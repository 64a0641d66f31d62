"""Speaker labels found by a file's structure, timestamps in every placement, never silent.

Each sample under tests/data/layouts/lab_* is an original made-up interview in one layout that
researchers' transcripts come in; the expected turns are written out here by hand.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.transcripts import parse_transcript, read_transcript, time_seconds

LAYOUTS = Path(__file__).parent / "data" / "layouts"
_TIME_IN_TEXT = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?|#\d")

I, R = "访谈者", "受访者"

# file -> [(speaker, seconds, words)]
EXPECTED: dict[str, list[tuple[str, float | None, str]]] = {
    "lab_han_names.txt": [
        (I, None, "您平时用江城办办什么业务？"),
        ("宁静", None, "主要是社保查询，还有公积金提取。"),
        ("宁静", None, "对了，去年还在上面办过居住证。"),
        (I, None, "用起来顺手吗？"),
        ("宁静", None, "一开始不太会用，找不到入口。\n后来我女儿教了我一次，现在就熟了。"),
        (I, None, "您担心个人信息的安全吗？"),
        ("宁静", None, "有点担心，毕竟身份证号码都在上面。"),
    ],
    "lab_focus_group.txt": [
        ("主持人", None, "今天请大家聊聊政务服务网，先说说怎么知道这个网站的。"),
        ("阿依古丽", None, "我是在社区的宣传栏上看到的二维码。"),
        ("居民A", None, "我是听邻居说的，没人专门告诉过我们。"),
        ("市民甲", None, "我到现在也不知道有这个网站。"),
        ("主持人", None, "那大家觉得宣传够不够？"),
        ("A女士", None, "不够。电视上从来没见过广告。"),
        ("社区工作人员", None, "我们发过传单，但是老年人看不懂。"),
        ("居民A", None, "传单上的字太小了。"),
        ("阿依古丽", None, "要是能用维吾尔语就更好了。"),
        ("主持人", None, "好的，谢谢大家。"),
    ],
    "lab_meeting_names.txt": [
        ("用户8372", None, "喂，能听到吗？我这边网络有点卡。"),
        ("Lily", None, "能听到。我们开始吧，今天聊聊江城办的使用体验。"),
        ("用户8372", None, "好的。\n我先说一下，我主要用它交水电费。"),
        ("Lily", None, "交费的时候有没有遇到问题？"),
        ("用户8372", None, "有一次付款成功了但是账单没销，打了三次12345才解决。"),
        ("Lily", None, "明白，系统稳定性确实是个问题。"),
    ],
    "lab_meeting_blocks.txt": [
        ("用户8372", 3.0, "大家好，今天主要聊聊政务服务网的宣传。"),
        ("Lily Chen", 11.0, "好的，我先说。我是在公众号上看到的推送。"),
        ("Lily Chen", 20.0, "但是推送里只有链接，没有教怎么用。"),
        ("王建国", 35.0, "我觉得应该在社区办培训班。\n特别是给老年人。"),
        ("用户8372", 48.0, "同意，培训比发传单有用。"),
    ],
    "lab_role_description.txt": [
        (I, None, "请先简单介绍一下您自己。"),
        (R, None, "我在一家外贸公司做会计，平时工作很忙。"),
        (I, None, "您用过政务服务网吗？"),
        (R, None, "用过，主要是在上面办营业执照的年报。"),
        (R, None, "还有个税汇算，每年都要弄。"),
        (I, None, "您觉得网站的内容清楚吗？"),
        (R, None, "说明写得太专业了，\n很多词我看不懂，只能打电话问。"),
    ],
    "lab_brackets.txt": [
        (I, None, "您好，今天想了解一下您使用江城办的情况。"),
        (R, None, "好的，没问题。"),
        (I, None, "您最常用哪个功能？"),
        (R, None, "预约挂号和查社保。"),
        (R, None, "哦，还有查违章。"),
        (I, None, "您觉得哪里需要改进？"),
        (R, None, "登录太麻烦了，每次都要刷脸。\n有时候刷好几次都不成功。"),
    ],
    "lab_whisperx.txt": [
        ("SPEAKER_00", None, "您好，我们开始录音了。"),
        ("SPEAKER_01", None, "好的。"),
        ("SPEAKER_00", None, "您第一次用政务服务网是什么时候？"),
        ("SPEAKER_01", None, "大概是疫情那一年，要申请健康码。"),
        ("SPEAKER_01", None, "后来就一直在用了。"),
        ("SPEAKER_00", None, "您觉得它的界面怎么样？"),
        ("SPEAKER_01", None, "还行吧，就是广告弹窗有点多。"),
    ],
    "lab_time_after_colon.txt": [
        (I, 3.0, "您好，我们开始吧。"),
        (R, 6.0, "好。"),
        (I, 9.0, "您平时在网上办事多吗？"),
        (R, 15.0, "挺多的，能在网上办的我都不去窗口。"),
        (R, 24.0, "窗口排队太久了，\n一排就是一上午。"),
        (I, 62.5, "那您信任网上办事的安全性吗？"),
        (R, 70.0, "基本信任，毕竟是政府的网站。"),
    ],
    "lab_time_before_colon.txt": [
        (I, 3.0, "您好，感谢您接受访谈。"),
        (R, 7.0, "不客气。"),
        (I, 10.0, "您用江城办多久了？"),
        (R, 14.0, "两年多了吧。"),
        (R, 20.0, "最早是为了交医保。"),
        (I, 31.0, "有没有遇到过系统崩溃？"),
        (R, 35.0, "有，缴费高峰的时候经常打不开，\n只能半夜再去试。"),
    ],
    "lab_f4_marks.txt": [  # f4 closes each turn with its time: the next turn starts then
        ("I", None, "Guten Tag, 我们用中文访谈吧。您平时怎么办理社保业务？"),
        ("B", 5.2, "以前都去窗口，现在基本在手机上办。"),
        ("B", 12.0, "不过有些材料还是要交纸质的。"),
        ("I", 18.4, "您觉得政府的职能有没有变化？"),
        ("B", 25.0, "有变化，以前是管理，现在更像服务了。\n比如说办证，工作人员会主动打电话提醒。"),
    ],
    "lab_time_line_above.txt": [
        (I, 2.0, "您好，今天主要想聊聊政务服务网的信息安全。"),
        (R, 8.0, "好的，这个我确实有些想法。"),
        (R, 15.0, "上次我在网站上填了资料，第二天就接到推销电话。"),
        (I, 30.0, "您觉得是网站泄露的吗？"),
        (R, 36.0, "不确定，\n但是时间太巧了。"),
    ],
    "lab_time_ranges.txt": [
        (I, 3.0, "您好，请问您是怎么知道江城办的？"),
        (R, 9.0, "单位要求每个人都要下载注册。"),
        (R, 15.0, "说是以后报销都在上面走。"),
        (I, 21.5, "那您自己主动用过吗？"),
        (R, 30.0, "用过几次，查公积金余额，\n还有一次是开无犯罪记录证明。"),
    ],
}


def turns_of(parsed) -> list[tuple[str, float | None, str]]:
    return [(t.speaker, t.seconds, parsed.text[t.body_start : t.end]) for t in parsed.turns]


def test_every_label_sample_is_checked() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in LAYOUTS.glob("lab_*"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layout_sample(name: str) -> None:
    parsed = read_transcript(LAYOUTS / name)
    assert turns_of(parsed) == EXPECTED[name]
    for turn in parsed.turns:
        body = parsed.text[turn.body_start : turn.end]
        assert not _TIME_IN_TEXT.search(body.replace("12345", "")), body
        assert turn.speaker not in body


@pytest.mark.parametrize(
    "name, fmt",
    [("lab_meeting_blocks.txt", "asr-blocks"), ("lab_whisperx.txt", "whisperx-txt"),
     ("lab_han_names.txt", "txt")],
)  # fmt: skip
def test_format_names_the_source(name: str, fmt: str) -> None:
    assert read_transcript(LAYOUTS / name).format == fmt


def test_a_bracketed_description_is_the_speakers_not_part_of_the_name() -> None:
    parsed = read_transcript(LAYOUTS / "lab_role_description.txt")
    assert parsed.speaker_descriptions == {R: "女，35岁"}


@pytest.mark.parametrize(
    "name, lines",
    [("lab_focus_group.txt", [4, 6, 7]), ("lab_meeting_blocks.txt", [12])],
)
def test_speakers_with_one_turn_are_reported_by_line(name: str, lines: list[int]) -> None:
    parsed = read_transcript(LAYOUTS / name)
    reported = [int(m[1]) for w in parsed.warnings if (m := re.match(r"line (\d+): speaker", w))]
    assert reported == lines


@pytest.mark.parametrize(
    "text, speakers, descriptions",
    [
        ("Interviewer (Li Ming): 您好。\nRespondent (Wang): 你好。\nInterviewer (Li Ming): 开始吧。",
         ["Interviewer", "Respondent", "Interviewer"], {"Interviewer": "Li Ming", "Respondent": "Wang"}),
        ("李明（访谈者）：您好。\n王芳（受访者，退休教师）：你好。\n李明（访谈者）：开始吧。\n王芳：好的。",
         ["李明", "王芳", "李明", "王芳"], {"李明": "访谈者", "王芳": "受访者，退休教师"}),
        ("M：您好。\nF1：你好。\nF2：我也好。\nM：开始吧。\nF1：好。", ["M", "F1", "F2", "M", "F1"], {}),
        ("Ｑ：您好吗？\nＡ：很好。\nＱ：那就好。\nＡ：嗯。", ["Ｑ", "Ａ", "Ｑ", "Ａ"], {}),
        ("Q1：您用过吗？\nA1：用过。\nQ2：满意吗？\nA2：满意。", ["Q", "A", "Q", "A"], {}),
        ("访谈者　：您好。\n受访者　：你好。\n访谈者　：开始。", [I, R, I], {}),
        ("小明😀：你好。\n访谈者：开始。\n小明😀：好。", ["小明😀", I, "小明😀"], {}),
        ("Interviewer: Hello.\nJohn Smith: Hi.\nInterviewer: Start.\nJohn Smith: OK.",
         ["Interviewer", "John Smith", "Interviewer", "John Smith"], {}),
        ("訪談者：您好。\n受訪者（女，四十歲）：你好。\n訪談者：開始。\n受訪者：好。",
         ["訪談者", "受訪者", "訪談者", "受訪者"], {"受訪者": "女，四十歲"}),
    ],
)  # fmt: skip
def test_more_label_shapes(text: str, speakers: list[str], descriptions: dict[str, str]) -> None:
    parsed = parse_transcript(text)
    assert [t.speaker for t in parsed.turns] == speakers
    assert parsed.speaker_descriptions == descriptions
    assert all("：" not in parsed.text[t.body_start : t.end] for t in parsed.turns)


def test_quotations_clock_times_urls_and_list_items_are_not_labels() -> None:
    text = (
        "访谈者：您怎么看？\n"
        "受访者：窗口的人跟我说：\n"
        "他说：明天再来。\n"
        "10:30 开会的时候也说过。\n"
        "https://zwfw.example.gov.cn 上面写着。\n"
        "1. 问题：登录不了\n"
        "- 备注：要刷脸\n"
        "访谈者：明白。\n"
        "受访者：嗯。"
    )
    parsed = parse_transcript(text)
    assert [t.speaker for t in parsed.turns] == [I, R, I, R]
    assert (
        "https://zwfw.example.gov.cn"
        in parsed.text[parsed.turns[1].body_start : parsed.turns[1].end]
    )
    assert not any("not taken" in w for w in parsed.warnings)


def test_a_lone_label_shaped_line_is_reported_not_taken() -> None:
    parsed = parse_transcript("访谈者：您好。\n宁静：你好。\n访谈者：开始吧。")
    assert [t.speaker for t in parsed.turns] == [I, I]
    assert any(w.startswith("line 2: '宁静'") and "--speakers" in w for w in parsed.warnings)


def test_timed_lines_without_speakers_are_turns_of_an_unknown_speaker() -> None:
    text = (
        "[00:00:01.000 --> 00:00:04.000] 您好，我们开始吧。\n"
        "[00:00:04.000 --> 00:00:09.500] 好的。\n"
        "[00:00:10.000 --> 00:00:12.000] 第三句，\n没有时间的续行。"
    )
    parsed = parse_transcript(text)
    assert parsed.format == "timed-text"
    assert turns_of(parsed) == [
        ("", 1.0, "您好，我们开始吧。"),
        ("", 4.0, "好的。"),
        ("", 10.0, "第三句，\n没有时间的续行。"),
    ]


def test_declared_speakers_decide() -> None:
    text = "访谈者：您好。\n宁静：你好。\n访谈者：开始吧。\n备注：录音中断\n宁静：好的。"
    parsed = parse_transcript(text, speakers=[I, "宁静"])
    assert [t.speaker for t in parsed.turns] == [I, "宁静", I, "宁静"]
    assert "备注：录音中断" in parsed.text[parsed.turns[2].body_start : parsed.turns[2].end]


@pytest.mark.parametrize(
    "timestamp, seconds",
    [("00:00:03", 3.0), ("1:02:03,250", 3723.25), ("05:07", 307.0), ("00:00:05-2", 5.2),
     ("00:00:21.5 --> 00:00:30", 21.5), ("", None)],
)  # fmt: skip
def test_time_seconds(timestamp: str, seconds: float | None) -> None:
    assert time_seconds(timestamp) == seconds


# --- round trip: any turns, written in each layout, read back the same ------------------------

_SPEAKERS = st.sampled_from(
    ["访谈者", "受访者", "宁静", "阿依古丽", "居民A", "市民甲", "A女士", "社区工作人员",
     "用户8372", "Lily", "SPEAKER_00", "P3", "欧阳晓明"]
)  # fmt: skip
_WORDS = (
    st.lists(
        st.sampled_from(
            [
                "我觉得",
                "政务服务网",
                "江城办",
                "不太好用",
                "，",
                "。",
                "？",
                "OK",
                "App",
                "2024年",
                "👍",
                "😂",
                "安全",
                "宣传",
                "他说：",
                "不知道",
                "e-mail",
                "12345",
                "「一网通办」",
            ]
        ),
        min_size=1,
        max_size=12,
    )
    .map("".join)
    .filter(lambda words: not words.startswith(("他说：", "，", "。", "？")))
)


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _write(layout: str, turns: list[tuple[str, int, list[str]]]) -> str:
    lines = []
    for speaker, at, paragraphs in turns:
        first, rest = paragraphs[0], paragraphs[1:]
        t = _clock(at)
        lines.append(
            {
                "colon": f"{speaker}：{first}",
                "half_colon": f"{speaker}: {first}",
                "bracket": f"【{speaker}】{first}",
                "square_colon": f"[{speaker}]: {first}",
                "time_before": f"[{t}] {speaker}：{first}",
                "time_after": f"{speaker}：[{t}] {first}",
                "time_between": f"{speaker} {t}：{first}",
                "time_range": f"[{t} - {_clock(at + 5)}] {speaker}：{first}",
                "time_above": f"{t}\n{speaker}：{first}",
                "block": f"{speaker} {t}\n{first}",
                "list": f"- {speaker}：{first}",
                "time_in_bracket": f"【{speaker} {t}】{first}",
                "bracket_after_time": f"[{t} {speaker}] {first}",
                "time_below": f"{speaker}：\n[{t}]\n{first}",
            }[layout]
        )
        lines.extend(rest)
        if layout == "block":
            lines.append("")
    return "\n".join(lines)


_TIMED = {
    "time_before",
    "time_after",
    "time_between",
    "time_range",
    "time_above",
    "block",
    "time_below",
    "time_in_bracket",
    "bracket_after_time",
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layout=st.sampled_from(
        [
            "colon",
            "half_colon",
            "bracket",
            "square_colon",
            "time_before",
            "time_after",
            "time_between",
            "time_range",
            "time_above",
            "block",
            "list",
            "time_below",
            "time_in_bracket",
            "bracket_after_time",
        ]
    ),
    turns=st.lists(
        st.tuples(_SPEAKERS, st.integers(0, 20_000), st.lists(_WORDS, min_size=1, max_size=3)),
        min_size=4,
        max_size=12,
    ),
)
def test_turns_written_in_any_layout_read_back_the_same(layout, turns) -> None:
    # Every speaker recurs, as in an interview: the rule for names seen once is tested above.
    turns = turns + [(speaker, at + 1, words) for speaker, at, words in turns]
    parsed = parse_transcript(_write(layout, turns))
    expected = [
        (speaker, float(at) if layout in _TIMED else None, "\n".join(words))
        for speaker, at, words in turns
    ]
    assert turns_of(parsed) == expected


# --- the import says what it found -------------------------------------------------------------


def cli(*args: object) -> str:
    from click.testing import CliRunner

    from qualcode.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_preview_lists_speakers_turns_and_lines_to_check_and_writes_nothing(tmp_path) -> None:
    out = cli("import", "--preview", LAYOUTS / "lab_focus_group.txt")
    assert "lab_focus_group  txt, 10 turns" in out
    assert "主持人 3 turns (interviewer)" in out and "市民甲 1 turn (" in out
    assert "line 4: speaker '市民甲' has only this one turn" in out
    assert "nothing was written" in out
    out = cli("import", tmp_path / "study", "--preview", LAYOUTS / "lab_han_names.txt")
    assert "宁静 4 turns" in out
    assert not (tmp_path / "study").exists()


def test_import_with_declared_speakers(tmp_path) -> None:
    study = tmp_path / "study"
    cli("init", study)
    out = cli("import", study, LAYOUTS / "lab_focus_group.txt", "--speakers", "主持人, 阿依古丽")
    assert "speakers: 主持人 3 turns (interviewer), 阿依古丽 2 turns" in out
    assert "line 3, 8: '居民A' looks like a speaker label but was not taken" in out
    cli("show", study, "lab_focus_group", "--turns", "-o", tmp_path / "turns.csv")
    with open(tmp_path / "turns.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["speaker"] for row in rows] == [
        "主持人",
        "阿依古丽",
        "主持人",
        "阿依古丽",
        "主持人",
    ]
    assert "\n居民A：我是听邻居说的" in rows[1]["text"]
