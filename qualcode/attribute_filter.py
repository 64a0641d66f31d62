"""Retrieval by respondent attribute: ``--where ATTR=VALUE`` and ``--where ATTR!=VALUE``.

A condition names a respondent attribute (as ``qualcode report crosstab --by`` does: its
name, or a survey question by its number or text) and a value; several conditions must all
hold. A transcript passes when its respondent's (its case's) value meets every condition;
a respondent without a value has the value ``(missing)``, which ``ATTR=(missing)`` finds.

:func:`matching_transcripts` is the one place that decides; every report, the quotes report
and the codings listing take its answer. It composes with the speaker-role filter
(:func:`qualcode.roles.allowed_spans`): roles narrow what was said within a transcript, this
narrows which respondents' transcripts count, and a report keeps what passes both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import AttributesError

if TYPE_CHECKING:
    from .store import Project

# Typed on a Chinese keyboard, = and != come full-width; ≠ is another way to write !=.
_NORMAL = str.maketrans({"＝": "=", "！": "!", "≠": "\0"})


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``--where``: ``attribute`` equals (or, ``negated``, differs from) ``value``."""

    attribute: str
    value: str
    negated: bool = False

    def __str__(self) -> str:
        return f"{self.attribute}{'!=' if self.negated else '='}{self.value}"


def parse_condition(text: str) -> Condition:
    """``性别=女`` or ``age_group!=60岁及以上`` (full-width ＝ and ！＝, and ≠, too) as a
    :class:`Condition`; an :class:`AttributesError` showing the form otherwise."""
    normal = text.translate(_NORMAL).replace("\0", "!=")
    name, sep, value = normal.partition("=")
    negated = name.endswith("!")
    name = name.removesuffix("!").strip()
    if not sep or not name:
        raise AttributesError(
            f"--where {text!r}: give ATTRIBUTE=VALUE or ATTRIBUTE!=VALUE, "
            "e.g. --where gender=女 --where age_group!=60岁及以上"
        )
    return Condition(name, value.strip(), negated)


def parse_conditions(texts: Iterable[str] | None) -> list[Condition]:
    """Each ``--where`` as a :class:`Condition`, in the order given."""
    return [parse_condition(text) for text in texts or ()]


def matching_transcripts(project: Project, where: Sequence[str] | None) -> list[str] | None:
    """The names of the transcripts whose respondent meets every condition of ``where``
    (``ATTR=VALUE`` / ``ATTR!=VALUE`` strings), in the project's order; None when there are
    no conditions (every transcript counts).

    An attribute the project does not have, or a value no respondent has, is an
    :class:`AttributesError` listing what there is: a typo must not give an empty report
    (or, with ``!=``, an unfiltered one) without a word."""
    conditions = parse_conditions(where)
    if not conditions:
        return None
    from .analysis import MISSING, attribute_groups

    names = project.transcript_names()
    kept = set(names)
    for condition in conditions:
        group, values = attribute_groups(project, condition.attribute)
        wanted = condition.value or MISSING
        if wanted not in values:
            raise AttributesError(
                f"--where {condition}: no respondent has {condition.attribute}={wanted}; "
                f"its values are: {', '.join(values) or 'none'}"
            )
        kept &= {name for name in names if (group[name] == wanted) != condition.negated}
    return [name for name in names if name in kept]


def narrow(
    project: Project, transcripts: Sequence[str] | None, where: Sequence[str] | None
) -> list[str] | None:
    """``transcripts`` (exact names; None: all) kept to those :func:`matching_transcripts`
    lets through, in their order; None when neither narrows anything."""
    matching = matching_transcripts(project, where)
    if matching is None:
        return None if transcripts is None else list(transcripts)
    if transcripts is None:
        return matching
    allowed = set(matching)
    return [name for name in transcripts if name in allowed]


def describe(where: Sequence[str] | None, lang: str = "en") -> str:
    """The conditions as a reader sees them under a table: ``gender=女, age_group≠60岁及以上``
    (``；`` between them in Chinese); empty without conditions."""
    parts = [
        f"{c.attribute}{'≠' if c.negated else '='}{c.value or '(missing)'}"
        for c in parse_conditions(where)
    ]
    return ("；" if lang == "zh" else ", ").join(parts)
