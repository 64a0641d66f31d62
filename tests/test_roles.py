"""Speaker roles: guessed from the labels at import, listed and set with `qualcode speakers`,
kept across re-imports; turns keep their start times and `show --turns` lists them."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.roles import allowed_spans, guess_roles, role_word
from qualcode.store import MIGRATIONS, Project
from qualcode.study import import_files, init_project

INTERVIEW = """\
[00:00:03] 访谈者：您好，您平时用“江城办”这个App吗？
[00:00:09] 受访者（女，35岁）：用的，主要是查社保。
不过登录老是要验证好几次。
[00:01:15] 访谈者：那您觉得哪里最不方便？
[01:02:05] 受访者：就是登录，还有字太小了。
"""

# Labels no role word names: the one asking is 李明, the one answering is 受访者.
ASKED_BY_NAME = """\
李明：您办过居住证吗？
受访者：办过，在网上提交的材料。
李明：顺利吗？
受访者：挺顺利的，三天就好了。
"""

FOCUS_GROUP = """\
主持人：今天请大家聊聊政务App。
王女士：我用得不多。
居民A：我经常用，查公积金。
王女士：我主要是不会操作。
居民A：其实挺简单的。
主持人：好的，谢谢两位。
"""


def run(*args: object, ok: bool = True):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    for name, text in (("I01", INTERVIEW), ("I02", ASKED_BY_NAME), ("G01", FOCUS_GROUP)):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def study(tmp_path: Path, sources: Path) -> Path:
    folder = tmp_path / "study"
    run("init", folder)
    run("import", folder, *sorted(sources.glob("*.txt")))
    return folder


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("访谈者", "interviewer"),
        ("主持人", "interviewer"),
        ("采访者", "interviewer"),
        ("研究者", "interviewer"),
        ("记者", "interviewer"),
        ("问", "interviewer"),
        ("Q", "interviewer"),
        ("I", "interviewer"),
        ("Interviewer", "interviewer"),
        ("Moderator 2", "interviewer"),
        ("訪談者", "interviewer"),
        ("主持人王老师", "interviewer"),
        ("受访者", "respondent"),
        ("被访者", "respondent"),
        ("访谈对象", "respondent"),
        ("答", "respondent"),
        ("A", "respondent"),
        ("R", "respondent"),
        ("P1", "respondent"),
        ("R06", "respondent"),
        ("Respondent", "respondent"),
        ("Interviewee", "respondent"),
        ("受訪者", "respondent"),
        ("受访者2", "respondent"),
        ("受访者甲", "respondent"),
        ("翻译", "other"),
        ("李明", None),
        ("居民A", None),
        ("A女士", None),
        ("Lily", None),
        ("Ai", None),
        ("Qi", None),
        ("SPEAKER_00", None),
        ("用户8372", None),
        ("问题", None),
    ],
)
def test_role_words_in_labels(label, role):
    assert role_word(label) == role


def test_guesses_follow_the_documented_rules():
    interview = guess_roles(["访谈者", "受访者"])
    assert {name: g.role for name, g in interview.items()} == {
        "访谈者": "interviewer",
        "受访者": "respondent",
    }
    assert interview["访谈者"].reason == "the label says 访谈者"
    # Rule 2: the people an interviewer talks to are respondents (a focus group too).
    group = guess_roles(["主持人", "王女士", "居民A"])
    assert [g.role for g in group.values()] == ["interviewer", "respondent", "respondent"]
    assert group["王女士"].reason == "speaks with the interviewer"
    # Rule 3: the one speaker beside the respondents asks the questions.
    assert guess_roles(["李明", "受访者"])["李明"].role == "interviewer"
    assert guess_roles(["李明", "受访者1", "受访者2"])["李明"].role == "interviewer"
    # A description counts as the label does.
    described = guess_roles(["张女士", "李明"], {"张女士": "受访者"})
    assert described["张女士"].role == "respondent" and described["李明"].role == "interviewer"
    assert described["张女士"].reason == "described as 受访者"
    # Rule 4: otherwise other, as is the unknown speaker.
    assert {g.role for g in guess_roles(["李明", "张三"]).values()} == {"other"}
    assert {g.role for g in guess_roles(["访谈者", "受访者", "李明"]).values()} == {
        "interviewer",
        "respondent",
        "other",
    }
    assert guess_roles([""])[""].role == "other"


def test_import_stores_roles_descriptions_and_start_times(study):
    with Project.open(study) as project:
        stored = project.transcript("I01")
        assert [(s.name, s.role, s.description, s.turns, s.role_set) for s in stored.speakers] == [
            ("访谈者", "interviewer", "", 2, False),
            ("受访者", "respondent", "女，35岁", 2, False),
        ]
        assert [t.seconds for t in stored.turns] == [3.0, 9.0, 75.0, 3725.0]
        assert [(s.name, s.role) for s in project.speakers("I02")["I02"]] == [
            ("李明", "interviewer"),
            ("受访者", "respondent"),
        ]
        assert [(s.name, s.role) for s in project.speakers("G01")["G01"]] == [
            ("主持人", "interviewer"),
            ("王女士", "respondent"),
            ("居民A", "respondent"),
        ]


def test_import_says_which_roles_it_guessed(tmp_path, sources):
    run("init", tmp_path / "p")
    out = run("import", tmp_path / "p", sources / "I02.txt").output
    assert "李明 2 turns (interviewer), 受访者 2 turns (respondent)" in out
    assert "speaker roles are guessed" in out and "qualcode speakers" in out


def test_speakers_lists_and_sets_roles_that_survive_a_reimport(study, sources, tmp_path):
    out = run("speakers", study, "I01").output
    assert "受访者" in out and "女，35岁" in out and "guessed: the label says 访谈者" in out
    listing = tmp_path / "speakers.csv"
    run(
        "speakers",
        study,
        "G01",
        "--role",
        "居民A=other",
        "--role",
        "主持人=interviewer",
        "-o",
        listing,
    )
    rows = read_csv(listing)
    assert [(r["speaker"], r["turns"], r["role"], r["how"]) for r in rows] == [
        ("主持人", "2", "interviewer", "set"),
        ("王女士", "2", "respondent", "guessed: speaks with the interviewer"),
        ("居民A", "2", "other", "set"),
    ]
    # The transcript changes and is imported again: the role set by hand stays.
    changed = sources / "G01.txt"
    changed.write_text(FOCUS_GROUP + "居民A：我再补充一句，希望字大一点。\n", encoding="utf-8")
    assert "replaced  G01" in run("import", study, changed).output
    with Project.open(study) as project:
        roles = {s.name: (s.role, s.turns) for s in project.speakers("G01")["G01"]}
    assert roles == {
        "主持人": ("interviewer", 2),
        "王女士": ("respondent", 2),
        "居民A": ("other", 3),
    }


def test_a_role_set_for_all_transcripts_reaches_those_imported_later(study, sources, tmp_path):
    out = run("speakers", study, "--all", "--role", "受访者=other").output
    assert "受访者: other in 2 transcripts (I01, I02)" in out
    assert "I01" in out and "I02" in out and "G01" not in out.split("(I01, I02)")[1]
    later = tmp_path / "I03.txt"
    later.write_text("访谈者：您用过网上办事大厅吗？\n受访者：没有。\n", encoding="utf-8")
    run("import", study, later)
    with Project.open(study) as project:
        (_, respondent) = project.speakers("I03")["I03"]
    assert (respondent.name, respondent.role, respondent.role_set) == ("受访者", "other", True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["I01", "--role", "李明=interviewer"],
            "I01 has no speaker '李明'; its speakers are: '访谈者', '受访者'",
        ),
        (
            ["I01", "--role", "受访者=boss"],
            "unknown speaker role 'boss'; use one of interviewer, respondent, other",
        ),
        (["I01", "--role", "受访者"], "give a speaker and a role as NAME=ROLE"),
        (["--all", "--role", "王五=other"], "no transcript has a speaker '王五'"),
    ],
)
def test_bad_role_settings_are_one_clear_line(study, args, message):
    result = run("speakers", study, *args, ok=False)
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output
    with Project.open(study) as project:  # and nothing was set
        assert not any(s.role_set for found in project.speakers().values() for s in found)


def test_show_turns_lists_speaker_role_and_start_time(study, tmp_path):
    out = tmp_path / "turns.csv"
    run("show", study, "I01", "--turns", "-o", out)
    rows = read_csv(out)
    assert list(rows[0]) == ["index", "speaker", "role", "seconds", "time", "start", "end", "text"]
    assert [(r["speaker"], r["role"], r["seconds"], r["time"]) for r in rows] == [
        ("访谈者", "interviewer", "3.0", "0:00:03"),
        ("受访者", "respondent", "9.0", "0:00:09"),
        ("访谈者", "interviewer", "75.0", "0:01:15"),
        ("受访者", "respondent", "3725.0", "1:02:05"),
    ]
    assert rows[1]["text"] == "用的，主要是查社保。\n不过登录老是要验证好几次。"
    text = INTERVIEW
    assert text[int(rows[3]["start"]) : int(rows[3]["end"])].strip() == "就是登录，还有字太小了。"
    printed = run("show", study, "I02", "--turns").output
    assert "李明" in printed and "interviewer" in printed


def test_allowed_spans_are_what_those_speakers_said(study):
    with Project.open(study) as project:
        spans = allowed_spans(project, ["respondent"])
        text = project.transcript("I02").text
        assert [text[s:e].strip() for s, e in spans["I02"]] == [
            "办过，在网上提交的材料。",
            "挺顺利的，三天就好了。",
        ]
        assert set(spans) == {"I01", "I02", "G01"}
        assert "G01" not in allowed_spans(project, ["other"])


def test_a_project_from_before_speakers_opens_with_guessed_roles(tmp_path, sources):
    folder = tmp_path / "old"
    with init_project(folder) as project:
        import_files(project, sorted(sources.glob("*.txt")))
    # Take the project back to the schema before this step, as an older version left it.
    conn = sqlite3.connect(folder / "qualcode.db", isolation_level=None)
    conn.execute("DROP TABLE speakers")
    conn.execute("ALTER TABLE turns DROP COLUMN seconds")
    conn.execute("DELETE FROM migrations WHERE name = '0006_speakers_and_turn_times'")
    conn.close()
    with Project.open(folder) as project:
        assert {r[0] for r in project.conn.execute("SELECT name FROM migrations")} == {
            name for name, _ in MIGRATIONS
        }
        assert [(s.name, s.role, s.turns) for s in project.speakers("G01")["G01"]] == [
            ("主持人", "interviewer", 2),
            ("王女士", "respondent", 2),
            ("居民A", "respondent", 2),
        ]
        assert [t.seconds for t in project.transcript("I01").turns] == [None] * 4
    assert list(folder.glob("qualcode.backup-*.db"))  # kept a copy before migrating
