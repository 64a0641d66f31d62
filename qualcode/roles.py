"""Speaker roles: each speaker of a transcript is the ``interviewer``, a ``respondent`` or
``other`` (an interpreter, a note-taker, a relative who chimes in, an unknown voice).

Roles are guessed at import from the speakers' labels and can be set by the researcher
(``qualcode speakers``, the workbench); a role set by hand survives re-imports of the
transcript. Reports, word counts, keyword in context and auto-coding take roles to count only
what speakers with those roles said (:func:`allowed_spans` is the one place that decides).

How a role is guessed, in order (the first rule that applies decides):

1. **A role word in the label**: 访谈者, 主持人, 采访者, 研究者, 记者, 问, Q, I, Interviewer,
   Moderator … are the interviewer; 受访者, 被访者, 访谈对象, 答, A, R, P, Respondent,
   Interviewee, Participant … are respondents; 翻译, 记录员, 观察员, Interpreter, Observer …
   are other (traditional forms too: 訪談者, 受訪者 …). The word may stand alone, be
   numbered (受访者2, P1, R06, Interviewer B, 受访者甲) or begin a longer Chinese label
   (主持人王老师). A role word in the speaker's bracketed description counts the same
   (张女士（受访者）).
2. **The people an interviewer talks to**: in a transcript with an interviewer by rule 1 and
   no respondent by rule 1, every other speaker is a respondent (王女士, 居民A, 用户8372, the
   members of a focus group).
3. **The one who asks the respondents**: in a transcript whose speakers found by rule 1 are
   all respondents, a single speaker without a role word is the interviewer (李明 and 受访者).
4. Everyone else is **other**, as is the unknown speaker of a text without labels.

A transcript without turns is one stretch of text: a survey answer is its respondent's, any
other such text is other.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ProjectError

if TYPE_CHECKING:
    from .store import Project

_END = sys.maxsize  # sorts after any end offset in (start, end) comparisons

ROLES = ("interviewer", "respondent", "other")
"""The roles a speaker can have, in the order they are listed."""

# Names a user may type for a role (--role 李明=访谈者): the English ids and Chinese words.
ROLE_NAMES = {
    "interviewer": "interviewer",
    "respondent": "respondent",
    "other": "other",
    "访谈者": "interviewer",
    "訪談者": "interviewer",
    "受访者": "respondent",
    "受訪者": "respondent",
    "其他": "other",
}

_INTERVIEWER = """
访谈者 访谈人 访谈员 访问者 访问员 访员 采访者 采访人 主持人 主持 研究者 研究员 调研员 调查员
提问者 提问人 记者 问 訪談者 訪談人 訪談員 訪問者 訪問員 訪員 採訪者 採訪人 研究員 調研員 調查員
提問者 提問人 記者 問 q i int interviewer moderator facilitator researcher host
"""
_RESPONDENT = """
受访者 受访人 被访者 被访人 被访谈者 被采访者 访谈对象 受访对象 采访对象 调查对象 回答者 答者 答
参与者 受訪者 受訪人 被訪者 被訪人 被訪談者 被採訪者 訪談對象 受訪對象 採訪對象 調查對象 參與者
a r p resp respondent interviewee participant
"""
_OTHER = """
翻译 口译 译员 记录员 记录人 观察员 旁听 翻譯 口譯 譯員 記錄員 記錄人 觀察員 旁聽
interpreter translator observer notetaker note-taker
"""
_ROLE_WORDS: dict[str, str] = {
    word: role
    for role, words in (
        ("interviewer", _INTERVIEWER),
        ("respondent", _RESPONDENT),
        ("other", _OTHER),
    )
    for word in words.split()
}
# A numbering after a role word (labels are case-folded first): 受访者2, P01, 受访者甲,
# Interviewer B, 受访者A; a letter right after a Latin word is part of it (Ai and Qi are names).
_NUMBERING = re.compile(
    r"(?:[\s_\-#]*(?:\d+|[甲乙丙丁戊己庚辛壬癸])|[\s_\-#]+[a-z]"
    r"|(?<=[\u3400-\u9fff])[a-z])$"
)
_BRACKETED = re.compile(r"[（(【\[［〔][^（()）【】\[\]［］〔〕]*[）)】\]］〕]")
_HAN = re.compile(r"^[\u3400-\u9fff]+")


@dataclass(frozen=True, slots=True)
class RoleGuess:
    """A guessed role and what it rests on, in words a researcher reads."""

    role: str
    reason: str


def role_word(label: str) -> str | None:
    """The role a speaker label names by a role word (rule 1 of the module), or None."""
    text = _BRACKETED.sub("", unicodedata.normalize("NFKC", label)).strip().casefold()
    if not text:
        return None
    for candidate in (text, _NUMBERING.sub("", text).strip()):
        if candidate in _ROLE_WORDS:
            return _ROLE_WORDS[candidate]
    # 主持人王老师, 受访者张女士: a Chinese role word of two or more characters leading a label.
    if han := _HAN.match(text):
        for size in range(len(han[0]) - 1, 1, -1):
            if (role := _ROLE_WORDS.get(han[0][:size])) is not None:
                return role
    return None


def guess_roles(
    speakers: Sequence[str], descriptions: Mapping[str, str] | None = None
) -> dict[str, RoleGuess]:
    """Each of one transcript's ``speakers`` (names as the turns hold them) with its guessed
    role and the reason, by the rules of this module; ``descriptions`` are the speakers'
    bracketed descriptions (受访者（女，35岁）： gives 女，35岁)."""
    descriptions = descriptions or {}
    by_word: dict[str, str] = {}
    for name in speakers:
        role = role_word(name) or role_word(descriptions.get(name, ""))
        if role is not None:
            by_word[name] = role
    named = set(by_word.values())
    unnamed = [name for name in speakers if name not in by_word and name]
    guesses: dict[str, RoleGuess] = {}
    for name in speakers:
        if name in by_word:
            guesses[name] = RoleGuess(
                by_word[name],
                f"the label says {name}"
                if role_word(name) is not None
                else f"described as {descriptions[name]}",
            )
        elif not name:
            guesses[name] = RoleGuess("other", "no speaker label")
        elif "interviewer" in named and "respondent" not in named:
            guesses[name] = RoleGuess("respondent", "speaks with the interviewer")
        elif named == {"respondent"} and len(unnamed) == 1:
            guesses[name] = RoleGuess("interviewer", "the one speaker beside the respondents")
        else:
            guesses[name] = RoleGuess("other", "no role word in the label")
    return guesses


def check_role(role: str) -> str:
    """``role`` as one of :data:`ROLES` (English ids in any case, or 访谈者/受访者/其他);
    a :class:`ProjectError` naming the choices otherwise."""
    found = ROLE_NAMES.get(role.strip().casefold())
    if found is None:
        raise ProjectError(f"unknown speaker role {role!r}; use one of {', '.join(ROLES)}")
    return found


def parse_assignment(text: str) -> tuple[str, str]:
    """``李明=interviewer`` as ``("李明", "interviewer")``; the name may hold spaces and
    colons, the role comes after the last ``=`` (or full-width ``＝``)."""
    name, sep, role = text.replace("＝", "=").rpartition("=")
    if not sep or not name.strip():
        raise ProjectError(
            f"{text!r}: give a speaker and a role as NAME=ROLE, e.g. 李明=interviewer"
        )
    return name.strip(), check_role(role)


def check_roles(roles: Collection[str] | None) -> tuple[str, ...] | None:
    """Roles a report was given (``--speaker-role``), checked and without repeats; None (or
    empty) means every speaker counts."""
    if not roles:
        return None
    return tuple(dict.fromkeys(check_role(role) for role in roles))


def allowed_spans(project: Project, roles: Collection[str]) -> dict[str, list[tuple[int, int]]]:
    """Transcript name -> the ``[start, end)`` of what speakers with one of ``roles`` said
    (their turns' bodies, after the label), in text order; a transcript without turns is one
    span of its whole text when its role (see the module) is among ``roles``. Transcripts where
    nobody with those roles speaks are absent. This is the one filter every report and
    auto-coding applies for ``--speaker-role``."""
    wanted = set(check_roles(roles) or ())
    spans: dict[str, list[tuple[int, int]]] = {}
    for name, start, end, role in project.role_spans():
        if role in wanted and start < end:
            spans.setdefault(name, []).append((start, end))
    return spans


def without_roles(project: Project, roles: Collection[str]) -> list[str]:
    """The transcripts where nobody with one of ``roles`` speaks (e.g. an ASR export whose
    说话人1 and 说话人2 are still ``other``): what ``--speaker-role`` leaves out entirely."""
    present = allowed_spans(project, roles)
    return [name for name in project.transcript_names() if name not in present]


def overlaps(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` overlaps one of ``spans`` (sorted, disjoint: a transcript's
    entry of :func:`allowed_spans`) by a character or more."""
    i = bisect_right(spans, (start, _END)) - 1
    return (i >= 0 and spans[i][1] > start) or (i + 1 < len(spans) and spans[i + 1][0] < end)
