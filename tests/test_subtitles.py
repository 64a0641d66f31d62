"""Subtitles, ASR exports, Word tables of turns and Markdown front matter, read from real files.

Every sample under tests/data/layouts/ (sub_*, docx_*, fm_*) is an original made-up interview
about 江城办 / 政务服务网. Each read is checked for the offset invariants, for the exact speaker
sequence, words and start time of every turn, and that no cue number, timing line, timestamp
or voice tag is in any turn's body; then the same file renamed to .txt must read the same.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode import subtitles
from qualcode.errors import TranscriptError
from qualcode.frontmatter import find_front_matter
from qualcode.model import ParsedTranscript
from qualcode.transcripts import UNKNOWN_SPEAKER, parse_transcript, read_transcript

LAYOUTS = Path(__file__).resolve().parent / "data" / "layouts"

# What must never be in a turn's codable words.
NOT_IN_BODY = re.compile(
    r"-->|<v[ .]|</v>|^\d+$|\d{1,2}:\d{2}:\d{2}|\d{2}:\d{2}\.\d{3}|\[SPEAKER_\d+\]|^WEBVTT|^NOTE",
    re.MULTILINE,
)


def check(parsed: ParsedTranscript, clean_bodies: bool = True) -> ParsedTranscript:
    """The offset invariants every reader guarantees, and (for the samples, whose words hold no
    digit-only line or clock time) bodies free of cue numbers, times and tags."""
    text = parsed.text
    assert "\r" not in text and not text.startswith("\ufeff")
    previous_end = 0
    if parsed.header is not None:
        assert 0 <= parsed.header.start < parsed.header.end <= len(text)
        assert not text[parsed.header.start].isspace()
        assert not text[parsed.header.end - 1].isspace()
        previous_end = parsed.header.end
    for turn in parsed.turns:
        assert previous_end <= turn.start <= turn.body_start < turn.end <= len(text), turn
        assert not text[turn.start].isspace() and not text[turn.end - 1].isspace(), turn
        assert not text[turn.body_start].isspace(), turn
        body = text[turn.body_start : turn.end]
        assert not (clean_bodies and NOT_IN_BODY.search(body)), (turn, body)
        if turn.timestamp:  # on the turn's lines (a table's time cell may follow the words)
            line_end = text.find("\n", turn.end) % (len(text) + 1)  # -1: the end of the text
            assert turn.timestamp in text[text.rfind("\n", 0, turn.start) + 1 : line_end], turn
            assert not (clean_bodies and turn.timestamp in body), turn
        previous_end = turn.end
    return parsed


def said(parsed: ParsedTranscript) -> list[tuple[str, str, float | None]]:
    """``(speaker, words, start seconds)`` of each turn."""
    return [
        (t.speaker, parsed.text[t.body_start : t.end],
         None if t.seconds is None else round(t.seconds, 3))
        for t in parsed.turns
    ]  # fmt: skip


# --- every sample ---------------------------------------------------------------------------

ASKED = "您好，今天想聊聊您用江城办 App 的经历。"
SOCIAL = "好的，我一般用它查社保和公积金。"
PERMIT = "上个月办居住证，\n在线上传材料一次就过了。"
WEB = "那政务服务网的网页版您用过吗？"
FIRST = "请问您第一次用江城办是什么时候？"

SAMPLES: dict[str, tuple[str, list[tuple[str, str, float | None]]]] = {
    "sub_whisper.srt": ("srt", [
        ("", ASKED, 0.0), ("", SOCIAL, 3.48), ("", PERMIT, 7.92),
        ("", "不过 login 老是要刷脸，有点麻烦。", 12.3), ("", WEB, 62.7),
    ]),
    "sub_whisperx.srt": ("whisperx-srt", [
        ("SPEAKER_00", ASKED, 0.0), ("SPEAKER_01", SOCIAL, 3.48), ("SPEAKER_01", PERMIT, 7.92),
        ("SPEAKER_00", "刷脸 login 顺利吗？", 12.3), ("", "这一句没有分到说话人。", 15.05),
    ]),
    "sub_named.srt": ("srt", [
        ("访谈者", FIRST, 1.2),
        ("李明", "大概是 2021 年吧，\n办电子社保卡，\n当时还挺新鲜的。", 4.1),
        ("李明", "后来就常用了。", 8.6),
        ("访谈者", "有没有遇到过问题？", 10.1),
        ("李明", "有一次提示“系统繁忙”，\n客服说：晚点再试。", 14.0),
    ]),
    "sub_teams.vtt": ("teams-vtt", [
        ("王芳", "我们开始吧，先说说政务服务网。", 2.15),
        ("陈建国", "我主要在电脑上用，\n因为要上传 PDF 材料。", 5.6),
        ("陈建国", "手机上传太慢了 😅", 9.9),
        ("王芳", "明白。", 12.3),
    ]),
    "sub_zoom.vtt": ("zoom-vtt", [
        ("Lily", "大家好，今天是第二组焦点小组。", 0.5),
        ("用户8372", "我先说，江城办的预约挂号很方便。", 3.4),
        ("用户8372", "但是 notification 太多了。", 8.0),
        ("张伟", "我同意，\n推送可以少一点。", 10.3),
        ("Lily", "好，那说说政务服务网的办事指南。", 13.2),
    ]),
    "sub_captions.vtt": ("vtt", [
        ("", "这是第一句。", 0.0),
        ("", "政务服务网的“一网通办”\n我觉得还不够“通”。", 2.5),
        ("", "最后一句：谢谢。", 66.0),  # a colon once in the file is words, not a label
    ]),
    "sub_whisper.json": ("whisper-json", [
        ("", ASKED, 0.0), ("", SOCIAL, 3.48), ("", PERMIT.replace("\n", ""), 7.92),
        ("", WEB + "😊", 62.7),  # the segment of a single space gives no turn
    ]),
    "sub_whisperx.json": ("whisperx-json", [
        ("SPEAKER_00", ASKED, 0.031), ("SPEAKER_01", SOCIAL, 3.6),
        ("SPEAKER_01", PERMIT.replace("\n", " "), 8.0),  # one segment, one line
        ("SPEAKER_00", "刷脸 login 顺利吗？", 12.4), ("", "这一句没有分到说话人。", 15.1),
    ]),
    "sub_faster_whisper.json": ("whisper-json", [
        ("", FIRST, 1.2), ("", "大概是 2021 年吧，办电子社保卡。", 4.1), ("", "后来就常用了 👍", 8.6),
    ]),
    "sub_whisper.tsv": ("whisper-tsv", [
        ("", ASKED, 0.0), ("", SOCIAL, 3.48), ("", PERMIT.replace("\n", ""), 7.92),
        ("", WEB, 62.7),
    ]),
    "sub_speakers.tsv": ("whisper-tsv", [
        ("访谈者", FIRST, 1.2), ("李明", "大概是 2021 年吧。", 4.1), ("李明", "后来就常用了 👍", 8.6),
    ]),
    "docx_time_speaker_text.docx": ("docx-table", [
        ("访谈者", "您好，请介绍一下您使用政务服务网的情况。", 5.0),
        ("受访者", "我主要用它办营业执照年报。", 12.0),
        ("受访者", "去年第一次用，step by step 跟着指南做的。", 20.0),
        ("访谈者", "遇到过困难吗？", 62.0),
        ("受访者", "上传附件的时候总是提示格式不对。 后来换成 PDF 就好了。", 70.0),
        (UNKNOWN_SPEAKER, "（访谈结束）", None),  # a paragraph after the table, with a warning
    ]),
    "docx_text_speaker_time.docx": ("docx-table", [
        ("I", "江城办的消息提醒您会看吗？", 120.0),
        ("R", "一般不看，太多了。", 125.0),
        ("R", "有时候会漏掉办件进度。", 130.0),
        ("I", "那您希望怎么改进？", 136.0),
    ]),
    "docx_speaker_text.docx": ("docx-table", [
        ("访谈者", "大家平时在哪里办社保业务？", None),
        ("居民A", "我都在江城办上办，不用跑腿。", None),
        ("居民A", "就是老人不太会用。", None),
        ("访谈者", "其他人呢？", None),
        ("市民甲", "我还是去大厅，当面问清楚放心。", None),
    ]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample(name: str) -> None:
    fmt, expected = SAMPLES[name]
    parsed = check(read_transcript(LAYOUTS / name))
    assert parsed.format == fmt
    assert said(parsed) == expected


@pytest.mark.parametrize("name", sorted(n for n in SAMPLES if not n.endswith(".docx")))
def test_renamed_to_txt_reads_the_same(tmp_path: Path, name: str) -> None:
    renamed = tmp_path / (Path(name).stem + ".txt")
    shutil.copyfile(LAYOUTS / name, renamed)
    original = read_transcript(LAYOUTS / name)
    parsed = check(read_transcript(renamed))
    assert (parsed.format, parsed.text, parsed.turns) == (
        original.format,
        original.text,
        original.turns,
    )


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_stored_text_parses_again_to_the_same_turns(name: str) -> None:
    # What `doctor` does to a project: parse the stored text again, knowing the file's ending.
    from qualcode.transcripts import SUPPORTED_SUFFIXES

    parsed = read_transcript(LAYOUTS / name)
    again = parse_transcript(parsed.text, SUPPORTED_SUFFIXES[Path(name).suffix])
    assert (again.format, again.turns) == (parsed.format, parsed.turns)


def test_cue_labels_hold_number_timing_and_tag() -> None:
    parsed = read_transcript(LAYOUTS / "sub_whisperx.srt")
    first = parsed.turns[0]
    assert parsed.text[first.start : first.body_start] == (
        "1\n00:00:00,000 --> 00:00:03,480\n[SPEAKER_00]: "
    )
    assert first.timestamp == "00:00:00,000"


def test_vtt_header_notes_and_styles_are_no_turn() -> None:
    parsed = read_transcript(LAYOUTS / "sub_captions.vtt")
    assert parsed.header is not None
    assert parsed.text[parsed.header.start : parsed.header.end].startswith("WEBVTT - 江城办")
    assert parsed.metadata == {"Kind": "captions", "Language": "zh-CN"}
    covered = "".join(parsed.text[t.start : t.end] for t in parsed.turns)
    assert "人工校对到这里" not in covered
    teams = read_transcript(LAYOUTS / "sub_teams.vtt")
    covered = "".join(teams.text[t.start : t.end] for t in teams.turns)
    assert "NOTE" not in covered and "::cue" not in covered
    assert teams.text.endswith("<v 王芳>明白。</v>\n")  # verbatim: nothing cut out


def test_a_speaker_heard_once_is_reported() -> None:
    parsed = read_transcript(LAYOUTS / "sub_zoom.vtt")
    assert any("line 17" in w and "'张伟' has only this one turn" in w for w in parsed.warnings)


def test_two_voices_in_one_cue_are_two_turns() -> None:
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v 访谈者>江城办好用吗？</v>\n"
        "<v 居民A>还行。</v>\n"
    )
    parsed = check(parse_transcript(text, "vtt"))
    assert said(parsed) == [("访谈者", "江城办好用吗？", 1.0), ("居民A", "还行。", 1.0)]


def test_text_outside_a_cue_is_kept_and_named() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\n您好。\n\n接着说的话。\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\n再见。\n"
    )
    parsed = check(parse_transcript(text, "srt"))
    assert said(parsed) == [("", "您好。\n\n接着说的话。", 1.0), ("", "再见。", 3.0)]
    assert any(w.startswith("line 5:") for w in parsed.warnings)


def test_declared_speakers_decide_name_prefixes() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\n访谈者：您好。\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\n网站上写着：请先登录。\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\n访谈者：然后呢？\n"
    )
    parsed = parse_transcript(text, "srt", speakers=["访谈者"])
    assert [t.speaker for t in parsed.turns] == ["访谈者", "", "访谈者"]
    assert parsed.text[parsed.turns[1].body_start : parsed.turns[1].end] == "网站上写着：请先登录。"


# --- Word tables ----------------------------------------------------------------------------


def test_docx_table_header_row_title_and_descriptions() -> None:
    parsed = read_transcript(LAYOUTS / "docx_time_speaker_text.docx")
    assert parsed.header is not None
    assert parsed.text[parsed.header.start : parsed.header.end] == (
        "江城办用户访谈（第5场）\n时间\t发言人\t内容"
    )
    assert parsed.metadata == {"标题": "江城办用户访谈（第5场）"}
    assert parsed.speaker_descriptions == {"受访者": "女，35岁"}
    assert parsed.turns[0].timestamp == "00:00:05"
    assert any(w.startswith("line 8: text outside the table") for w in parsed.warnings)


def test_docx_table_after_a_metadata_table() -> None:
    parsed = read_transcript(LAYOUTS / "docx_speaker_text.docx")
    assert parsed.metadata == {"编号": "F02", "地点": "江城市民中心", "标题": "焦点小组记录"}


def test_docx_label_cells_after_the_words_are_in_no_turn() -> None:
    parsed = read_transcript(LAYOUTS / "docx_text_speaker_time.docx")
    first = parsed.turns[0]
    assert parsed.text[first.start : first.end] == "江城办的消息提醒您会看吗？"
    assert parsed.text.split("\n")[0].endswith("\tI\t[00:02:00 - 00:02:04]")


def test_a_tsv_table_of_time_speaker_text(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text(
        "时间\t说话人\t内容\n00:00:01\t访谈者\t您好。\n00:00:04\t受访者\t你好。\n"
        "00:00:07\t访谈者\t开始吧。\n",
        encoding="utf-8",
    )
    parsed = check(read_transcript(path))
    assert parsed.format == "tsv"
    assert said(parsed) == [
        ("访谈者", "您好。", 1.0),
        ("受访者", "你好。", 4.0),
        ("访谈者", "开始吧。", 7.0),
    ]


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"segments": [1, 2', "not valid JSON"),
        ('{"text": "你好"}', "not a Whisper transcript"),
        ('{"segments": [{"start": 0, "text": "好"}, {"text": "无时间"}]}', "segment 2 .*'start'"),
        ('{"segments": [{"start": 0, "text": 5}]}', "segment 1 .*'text'"),
        ('{"segments": [{"start": 0, "text": " "}]}', "no segment with any words"),
        ("[" * 100_000, "not valid JSON|nested too deeply"),
    ],
)
def test_bad_whisper_json_is_refused_clearly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TranscriptError, match=message) as caught:
        read_transcript(path)
    assert str(path) in str(caught.value)


def test_invalid_json_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"segments": [\n  {"start": 0, "text": "好"},\n  oops\n]}', encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"r\.json:3: this is not valid JSON"):
        read_transcript(path)


def test_json_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(subtitles, "JSON_MAX_BYTES", 1000)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"segments": [{"start": 0, "text": "好" * 2000}]}), "utf-8")
    with pytest.raises(TranscriptError, match="up to"):
        read_transcript(path)


def test_txt_that_only_looks_like_json_is_text(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("{笑} 访谈者：您好\n受访者：你好\n访谈者：再见\n", encoding="utf-8")
    parsed = read_transcript(path)
    assert parsed.format == "txt"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("t.srt", "访谈者：您好\n受访者：你好\n"),
        ("t.vtt", "WEBVTT\n\nNOTE 只有注释\n"),
        ("t.tsv", "一\t二\n三\t四\n"),
    ],
)
def test_a_subtitle_file_without_cues_is_refused(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TranscriptError, match="holds no"):
        read_transcript(path)


# --- front matter ---------------------------------------------------------------------------


def test_front_matter_is_metadata_and_header() -> None:
    parsed = check(read_transcript(LAYOUTS / "fm_interview.md"))
    assert parsed.format == "md"
    assert parsed.metadata["respondent"] == "R06"
    assert parsed.metadata["interviewer"] == "王芳"
    assert parsed.metadata["date"] == "2024-03-12"
    assert parsed.metadata["topics"] == "江城办、政务服务网"
    assert parsed.header is not None and parsed.header.start == 0
    assert parsed.text.startswith("---\nrespondent: R06\n")  # verbatim
    assert [t.speaker for t in parsed.turns] == ["访谈者", "受访者", "受访者", "访谈者"]
    assert parsed.text[parsed.turns[0].body_start : parsed.turns[0].end] == (
        "您平时怎么知道政务服务网上的新功能？"
    )


def test_broken_front_matter_is_header_with_a_warning() -> None:
    parsed = check(read_transcript(LAYOUTS / "fm_broken.md"))
    assert parsed.header is not None and parsed.header.start == 0
    assert parsed.text[parsed.header.end - 3 : parsed.header.end] == "---"
    assert "respondent" not in parsed.metadata
    assert any(
        "front matter is not valid YAML" in w and w.startswith("line ") for w in parsed.warnings
    )
    assert [t.speaker for t in parsed.turns] == ["访谈者", "受访者", "访谈者"]


@pytest.mark.parametrize(
    "text",
    [
        "---\n访谈者：您好\n受访者：你好\n---\n访谈者：再见",  # a rule around turns, not YAML keys
        "---\n\n访谈者：您好\n",  # never closed
        "访谈者：您好\n---\nkey: value\n---\n",  # not at the top
    ],
)
def test_not_front_matter(text: str) -> None:
    assert find_front_matter(text) is None


def test_yaml_aliases_are_not_expanded() -> None:
    bomb = "---\na: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n---\n访谈者：好\n"
    found = find_front_matter(bomb)
    assert found is not None and found.metadata == {} and "aliases" in found.warning


# --- the project shows the real source ------------------------------------------------------


def test_list_shows_the_real_format(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qualcode.cli import main

    def run(*args: object) -> str:
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    study = tmp_path / "study"
    run("init", study)
    renamed = tmp_path / "zoom_export.txt"
    shutil.copyfile(LAYOUTS / "sub_zoom.vtt", renamed)
    files = [
        LAYOUTS / "sub_teams.vtt",
        LAYOUTS / "sub_whisperx.json",
        LAYOUTS / "docx_time_speaker_text.docx",
        renamed,
    ]
    run("import", study, *files)
    listing = tmp_path / "list.csv"
    run("list", study, "-o", listing)
    import csv

    with listing.open(encoding="utf-8-sig") as handle:
        formats = {row["transcript"]: row["format"] for row in csv.DictReader(handle)}
    assert formats == {
        "sub_teams": "teams-vtt",
        "sub_whisperx": "whisperx-json",
        "docx_time_speaker_text": "docx-table",
        "zoom_export": "zoom-vtt",
    }


# --- property: written in each format, read back --------------------------------------------

SPEAKERS = ["SPEAKER_00", "SPEAKER_01", "李明", "Lily", "用户8372", "居民A", "Mary Ann"]
LINE_CHARS = (
    "政务服务网江城办社保公积金您好我的是了不用过办事指南"
    "abcXYZ0123456789 ,.!?'\"，。！？“”（）()—-"
    "😀👍\U0001f3fb\u200d🇨🇳"
)
lines = st.text(alphabet=LINE_CHARS, min_size=1, max_size=24).map(str.strip).filter(bool)


@st.composite
def cue_lists(draw, multiline: bool, speakers: str) -> list[tuple[int, int, str, str]]:
    """``(start ms, end ms, speaker, words)``; speakers "all", "none" or "mixed". With "all",
    at least two cues: a ``Name:`` prefix is a label only when the shape recurs."""
    n = draw(st.integers(2 if speakers == "all" else 1, 8))
    starts = sorted(draw(st.lists(st.integers(0, 36_000_000), min_size=n, max_size=n)))
    every = speakers == "all" or (speakers == "mixed" and draw(st.booleans()))
    cues = []
    for start in starts:
        words = "\n".join(draw(st.lists(lines, min_size=1, max_size=3 if multiline else 1)))
        if speakers == "mixed":
            speaker = draw(st.sampled_from(["", *SPEAKERS]))
        else:
            speaker = draw(st.sampled_from(SPEAKERS)) if every else ""
        cues.append((start, start + draw(st.integers(1, 9_999)), speaker, words))
    return cues


def clock(ms: int, mark: str) -> str:
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    return f"{hours:02d}:{minutes:02d}:{ms // 1000:02d}{mark}{ms % 1000:03d}"


def as_srt(cues) -> str:
    def tag(name: str) -> str:
        return "" if not name else f"[{name}]: " if name.startswith("SPEAKER") else f"{name}: "

    return "\n".join(
        f"{i}\n{clock(a, ',')} --> {clock(b, ',')}\n{tag(who)}{words}\n"
        for i, (a, b, who, words) in enumerate(cues, 1)
    )


def as_vtt(cues) -> str:
    return "WEBVTT\n\n" + "\n".join(
        f"{clock(a, '.')} --> {clock(b, '.')}\n"
        + (f"<v {who}>{words}</v>\n" if who else f"{words}\n")
        for a, b, who, words in cues
    )


def as_json(cues) -> str:
    segments = [
        {
            "start": a / 1000,
            "end": b / 1000,
            "text": " " + words,
            **({"speaker": who} if who else {}),
        }
        for a, b, who, words in cues
    ]
    return json.dumps({"segments": segments, "language": "zh"})


def as_tsv(cues) -> str:
    return "start\tend\ttext\n" + "".join(f"{a}\t{b}\t{words}\n" for a, b, _, words in cues)


FORMATS = {
    ".srt": (as_srt, True, "all"),
    ".srt ": (as_srt, True, "none"),
    ".vtt": (as_vtt, True, "mixed"),
    ".json": (as_json, True, "mixed"),
    ".tsv": (as_tsv, False, "none"),
}


@pytest.mark.parametrize("suffix", sorted(FORMATS))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_cues_written_and_read_back(tmp_path: Path, suffix: str, data: st.DataObject) -> None:
    write, multiline, speakers = FORMATS[suffix]
    cues = data.draw(cue_lists(multiline, speakers))
    content = write(cues)
    joined = suffix.strip() == ".json"  # a segment is one line of the rendered text
    expected = [
        (who, " ".join(words.split("\n")) if joined else words, a / 1000)
        for a, _, who, words in cues
    ]
    for name in ("t" + suffix.strip(), "t.txt"):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        parsed = check(read_transcript(path), clean_bodies=False)  # words equal: clean
        assert said(parsed) == expected
