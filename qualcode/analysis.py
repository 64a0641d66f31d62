"""Reports on a project: code frequencies, cross-tabs by respondent attribute, the code ×
transcript matrix, code co-occurrence, word frequencies and distinctive words, keyword in
context.

Every report takes an open :class:`~qualcode.store.Project` and options and returns pandas
DataFrames (a small dataclass of named DataFrames where a report has several tables, with a
``tables()`` method listing them in order). Nothing here prints, and a TUI thread worker can
call any report with the app's project. The codings each report starts from are read once per
state of the database: while nothing changes (SQLite's ``data_version`` and the connection's
``total_changes`` stay the same), the next report reuses them.

Conventions every report shares:

segment
    One coding: a code applied by a coder to ``[start, end)`` of a transcript. ``status``
    picks which: ``"confirmed"`` (the default), ``"suggested"`` (auto-coding suggestions not
    yet reviewed) or ``"all"`` (both; rejected suggestions never count).
roll-up
    By default a parent's figures include the segments coded with any of its descendants,
    each segment once: a segment of a parent is a distinct ``(transcript, start, end,
    coder)``, so a span coded with a parent and its child, or with two children, is one
    segment of the parent. ``rollup=False`` (``--direct``) counts each code as coded: a
    parent only with the codings of the parent itself. Inter-coder agreement and the learned
    evaluation compare codes as coded unless asked to roll up (:mod:`qualcode.agreement`).
respondent
    A case, which is one transcript.
coders
    ``None`` pools everyone's codings; a list keeps only those coders' codings.
rows
    Codes in codebook order, the id beside the Chinese label (``code_id``, ``code``); codes
    that codings use but the codebook no longer holds come last with an empty label.
"""

from __future__ import annotations

import gc
import math
import re
import threading
import weakref
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from .attribute_filter import matching_transcripts, narrow
from .errors import AttributesError, ProjectError
from .roles import allowed_spans, check_roles, overlaps
from .store import Project

# Positions of different transcripts are kept apart in one sorted axis: transcript index
# times this, plus the offset (a transcript would need 2**40 characters to collide).
_SHIFT = 1 << 40

SEGMENT = ["transcript", "start", "end", "coder"]
"""The columns that identify one segment."""

ANY_CODE = "(any code)"
MISSING = "(missing)"
UNITS = ("sentence", "turn")
COOCCURRENCE_UNITS = ("overlap", *UNITS)


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """A code as reports show it: id, label, depth in the tree, itself and its ancestors."""

    id: str
    label: str
    depth: int
    lineage: tuple[str, ...]  # the code first, then its parent, grandparent ...


@dataclass(slots=True)
class Segments:
    """Coded segments, parents rolled up or as coded: one row per (code, segment).

    ``frame`` has columns ``code`` (categorical over ``codes`` in codebook order),
    ``transcript`` (categorical over ``transcripts``), ``start``, ``end``, ``coder``."""

    frame: pd.DataFrame
    codes: list[CodeInfo]
    transcripts: list[str]

    @property
    def code_ids(self) -> list[str]:
        return [code.id for code in self.codes]


def codes(project: Project, extra: Sequence[str] = ()) -> list[CodeInfo]:
    """The project's codes in codebook order, then any of ``extra`` it does not hold."""
    found: list[CodeInfo] = []
    lineage: dict[str, tuple[str, ...]] = {}
    for code, parent, depth in project.codebook().walk():
        lineage[code.id] = (code.id, *(lineage[parent.id] if parent else ()))
        found.append(CodeInfo(code.id, code.label, depth, lineage[code.id]))
    found += [CodeInfo(i, "", 0, (i,)) for i in dict.fromkeys(extra) if i not in lineage]
    return found


STATUSES = {
    "confirmed": ("confirmed",),
    "suggested": ("suggested",),
    "all": ("confirmed", "suggested"),
}


def statuses(status: str) -> tuple[str, ...]:
    """The coding statuses a report's ``status`` option counts."""
    if status not in STATUSES:
        raise ProjectError(f"status {status!r}: use one of {', '.join(STATUSES)}")
    return STATUSES[status]


def check_coders(project: Project, coders: Sequence[str] | None) -> None:
    """Raise a readable error when a coder is not in the project."""
    if coders is None:
        return
    known = project.coders()
    unknown = [c for c in coders if c not in known]
    if unknown:
        raise ProjectError(
            f"no coder {', '.join(map(repr, unknown))} in this project; its "
            f"coders are: {', '.join(known) or 'none yet'}"
        )


def segments(
    project: Project,
    *,
    coders: Sequence[str] | None = None,
    status: str = "confirmed",
    speaker_roles: Sequence[str] | None = None,
    where: Sequence[str] | None = None,
    rollup: bool = True,
) -> Segments:
    """The project's codings as segments of each code, parents rolled up (see the module;
    ``rollup=False``: each code as coded);
    with ``speaker_roles``, only those in what speakers with those roles said (see
    :func:`role_spans`); with ``where`` (``ATTR=VALUE`` / ``ATTR!=VALUE``), only those of
    the respondents it matches (:func:`qualcode.attribute_filter.matching_transcripts`), and
    ``transcripts`` lists just theirs. Treat the frame as read-only; it is shared with the
    next report while nothing changes."""
    check_coders(project, coders)
    roles = check_roles(speaker_roles)
    chosen = matching_transcripts(project, where)
    key = (
        "segments",
        tuple(coders) if coders is not None else None,
        status,
        roles,
        tuple(chosen) if chosen is not None else None,
        rollup,
    )
    found = _cached(
        project, key, lambda: _read_segments(project, coders, status, roles, chosen, rollup)
    )
    return Segments(found.frame.copy(deep=False), found.codes, found.transcripts)


def role_spans(project: Project, speaker_roles: Sequence[str] | None) -> pd.DataFrame | None:
    """What speakers with ``speaker_roles`` said, as a frame of ``transcript`` (categorical
    over the transcript names), ``start``, ``end``, sorted: the spans of
    :func:`qualcode.roles.allowed_spans`. A coding, unit or word counts under ``--speaker-role``
    when it overlaps one of them by a character or more. None when every speaker counts."""
    roles = check_roles(speaker_roles)
    if roles is None:
        return None
    return _cached(project, ("roles", roles), lambda: _read_role_spans(project, roles))


def _read_role_spans(project: Project, roles: Sequence[str]) -> pd.DataFrame:
    names = project.transcript_names()
    position = {name: i for i, name in enumerate(names)}
    rows = [
        (position[name], start, end)
        for name, spans in allowed_spans(project, roles).items()
        for start, end in spans
    ]
    transcript, start, end = list(zip(*rows)) if rows else [(), (), ()]
    return pd.DataFrame(
        {
            "transcript": pd.Categorical.from_codes(
                np.asarray(transcript, dtype=np.int64), categories=names
            ),
            "start": np.asarray(start, dtype=np.int64),
            "end": np.asarray(end, dtype=np.int64),
        }
    )


def _said_by(
    project: Project, frame: pd.DataFrame, speaker_roles: Sequence[str] | None
) -> pd.DataFrame:
    """The rows of ``frame`` (transcript, start, end) that overlap what speakers with
    ``speaker_roles`` said, renumbered; ``frame`` itself when every speaker counts."""
    allowed = role_spans(project, speaker_roles)
    if allowed is None:
        return frame
    return frame[_covered(allowed, frame)].reset_index(drop=True)


def _read_segments(
    project: Project,
    coders: Sequence[str] | None,
    status: str,
    roles: Sequence[str] | None = None,
    chosen: Sequence[str] | None = None,
    rollup: bool = True,
) -> Segments:
    with _gc_paused():  # 100,000 strings: the collector would rescan them again and again
        transcript_id, span, code_id, coder = project.coding_columns(
            coders=coders, statuses=statuses(status)
        )
    infos = codes(project, extra=sorted(set(code_id)))
    ids = [info.id for info in infos]
    position = {code: i for i, code in enumerate(ids)}
    transcripts = project.transcript_names()
    code = _indices(code_id, position)
    # Transcript ids to positions in name order, through a table indexed by id.
    numbered = {name: i for i, name in enumerate(transcripts)}
    names = project.transcript_names_by_id()
    by_id = np.zeros(max(names, default=0) + 1, dtype=np.int64)
    by_id[list(names)] = [numbered[name] for name in names.values()]
    span = np.asarray(span, dtype=np.int64)
    # The lineage of every code, flat: a coding becomes one row per code of its lineage
    # (rolled up), or one row of its own code (as coded).
    lineages = [info.lineage if rollup else info.lineage[:1] for info in infos]
    lengths = np.array([len(lineage) for lineage in lineages], dtype=np.int64)
    flat = np.array([position[a] for lineage in lineages for a in lineage], dtype=np.int64)
    n = lengths[code] if len(code) else np.zeros(0, dtype=np.int64)
    row = np.repeat(np.arange(len(code)), n)
    step = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    coder_names = sorted(set(coder))
    frame = pd.DataFrame(
        {
            "code": flat[(np.cumsum(lengths) - lengths)[code][row] + step],
            "transcript": by_id[np.asarray(transcript_id, dtype=np.int64)][row],
            "start": (span >> 32)[row],
            "end": (span & 0xFFFFFFFF)[row],
            "coder": _indices(coder, {c: i for i, c in enumerate(coder_names)})[row],
        }
    )
    frame = frame[~frame.duplicated()].reset_index(drop=True)
    frame["code"] = pd.Categorical.from_codes(frame["code"], categories=ids)
    frame["transcript"] = pd.Categorical.from_codes(frame["transcript"], categories=transcripts)
    frame["coder"] = pd.Categorical.from_codes(frame["coder"], categories=coder_names)
    frame = _said_by(project, frame, roles)
    if chosen is not None:  # --where: these respondents' transcripts only
        frame = frame[frame["transcript"].isin(chosen)].reset_index(drop=True)
        frame["transcript"] = frame["transcript"].cat.set_categories(list(chosen))
        transcripts = list(chosen)
    return Segments(frame, infos, transcripts)


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct integers of ``values``, sorted (by sorting: several times faster here
    than ``np.unique``, which hashes)."""
    ordered = np.sort(values)
    return (
        ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if len(ordered) else ordered
    )


def _indices(values: Sequence[str], position: dict[str, int]) -> np.ndarray:
    return np.fromiter(map(position.__getitem__, values), dtype=np.int64, count=len(values))


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Per open project: what was read from it, with the database state it was read in.
_CACHE: weakref.WeakKeyDictionary[Project, dict[tuple, tuple[tuple[int, int], Any]]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_LOCK = threading.Lock()


def _cached(project: Project, key: tuple, build: Callable[[], Any]) -> Any:
    """``build()``, or what it gave last time if the database has not changed since: no other
    connection committed (``PRAGMA data_version``) and this one changed nothing."""
    state = (project.conn.execute("PRAGMA data_version").fetchone()[0], project.conn.total_changes)
    with _CACHE_LOCK:
        hit = _CACHE.get(project, {}).get(key)
    if hit is not None and hit[0] == state:
        return hit[1]
    value = build()
    with _CACHE_LOCK:
        kept = {k: v for k, v in _CACHE.get(project, {}).items() if v[0] == state}
        kept[key] = (state, value)
        _CACHE[project] = kept
    return value


def _code_columns(infos: Sequence[CodeInfo]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_id": pd.Series([i.id for i in infos], dtype=str),
            "code": pd.Series([i.label for i in infos], dtype=str),
        }
    )


def _union_length(frame: pd.DataFrame, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Characters covered by the spans of each group (``groups``: the group of each row of
    ``frame``, 0 to ``n_groups - 1``), overlapping spans counted once."""
    if frame.empty:
        return np.zeros(n_groups, dtype=np.int64)
    start, end = frame["start"].to_numpy(), frame["end"].to_numpy()
    order = np.lexsort((start, groups))
    group, start, end = groups[order], start[order], end[order]
    # A running maximum that restarts in each group: the group number lifts every later
    # group above the ends of the earlier ones.
    lift = group * (int(end.max()) + 1)
    reach = np.maximum.accumulate(lift + end) - lift
    before = np.concatenate([[-1], reach[:-1]])
    before[np.concatenate([[True], group[1:] != group[:-1]])] = -1
    covered = np.clip(end - np.maximum(start, before), 0, None)
    return np.bincount(group, weights=covered, minlength=n_groups).astype(np.int64)


# --- frequencies --------------------------------------------------------------------------


def frequencies(
    project: Project,
    coders: Sequence[str] | None = None,
    *,
    status: str = "confirmed",
    speaker_roles: Sequence[str] | None = None,
    where: Sequence[str] | None = None,
    rollup: bool = True,
) -> pd.DataFrame:
    """Per code (parents rolled up; ``rollup=False``: as coded): ``segments`` coded, ``transcripts`` (respondents)
    mentioning it, ``% transcripts`` (of all transcripts in the project) and ``characters``
    coded (each character once however many segments cover it). A last row ``(any code)``
    counts distinct segments of any code.

    ``coders``: None pools everyone; one name keeps that coder's codings; two or more compare
    them side by side, with columns ``segments (NAME)``, ``transcripts (NAME)`` ...
    ``speaker_roles``: only codings in what speakers with these roles said (see
    :func:`role_spans`); the percentages stay of all transcripts. ``where``: only the
    respondents it matches, and the percentages are of their transcripts.
    """
    data = segments(
        project,
        coders=coders,
        status=status,
        speaker_roles=speaker_roles,
        where=where,
        rollup=rollup,
    )
    n_transcripts = len(data.transcripts)
    compare = coders is not None and len(coders) > 1
    table = _code_columns(data.codes)
    table.loc[len(table)] = ["", ANY_CODE]
    figures: dict[str, list[pd.Series]] = {
        "segments": [],
        "transcripts": [],
        "% transcripts": [],
        "characters": [],
    }
    n_codes, n_names = len(data.codes), max(n_transcripts, 1)
    for coder in coders if compare else [None]:
        frame = data.frame if coder is None else data.frame[data.frame["coder"] == coder]
        code = frame["code"].cat.codes.to_numpy(np.int64)
        transcript = frame["transcript"].cat.codes.to_numpy(np.int64)
        anything = ~frame.duplicated(SEGMENT).to_numpy()
        pairs = _distinct(code * n_names + transcript)
        n_segments = [*np.bincount(code, minlength=n_codes).tolist(), int(anything.sum())]
        n_mentioning = [
            *np.bincount(pairs // n_names, minlength=n_codes).tolist(),
            len(_distinct(transcript)),
        ]
        per_transcript = _union_length(frame, transcript, n_names)
        n_chars = [
            *_union_length(frame, code * n_names + transcript, n_codes * n_names)
            .reshape(n_codes, n_names)
            .sum(axis=1)
            .tolist(),
            int(per_transcript.sum()),
        ]
        suffix = f" ({coder})" if compare else ""
        for name, values in (
            ("segments", n_segments),
            ("transcripts", n_mentioning),
            (
                "% transcripts",
                [100 * n / n_transcripts if n_transcripts else 0.0 for n in n_mentioning],
            ),
            ("characters", n_chars),
        ):
            figures[name].append(pd.Series(values, name=name + suffix))
    columns = [series for group in figures.values() for series in group]
    return pd.concat([table, *columns], axis=1)


# --- cross-tabulation ---------------------------------------------------------------------


@dataclass(slots=True)
class CrossTab:
    """Codes × the values of one respondent attribute.

    ``counts`` respondents mentioning each code (or segments) per value, with a ``Total``
    column and a last row giving each value's base (respondents, or segments of any code);
    ``row_percent`` and ``column_percent`` (of the value's base, so several codes per
    respondent can sum past 100); ``tests`` one test per code on respondents (see
    :func:`crosstab`); ``expected`` the expected counts of respondents with each code, exactly
    those the chi-square test of that row used (the tested values only, ``(missing)`` left
    out; empty for a code tested otherwise or not at all). ``warnings``: what a reader must
    know before trusting the tests (segments are not independent; respondents repeated
    across values). ``attribute`` is the attribute's name, ``label`` how tables name it (a
    survey question's number and text)."""

    attribute: str
    count: str
    counts: pd.DataFrame
    row_percent: pd.DataFrame
    column_percent: pd.DataFrame
    expected: pd.DataFrame
    tests: pd.DataFrame
    label: str = ""
    warnings: list[str] = field(default_factory=list)

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("counts", self.counts),
            ("row %", self.row_percent),
            ("column %", self.column_percent),
            ("expected", self.expected),
            ("chi-square", self.tests),
        ]


def natural_key(text: str) -> list[object]:
    """Sort key putting ``2-9岁`` before ``10-19岁``."""
    return [
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part
    ]


QUESTION = "question"  # survey answers: the question each answer transcript answers


def attribute_groups(
    project: Project,
    attribute: str,
    bins: Sequence[float] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Each transcript's value of ``attribute`` (``(missing)`` when it has none), and the
    values in natural order (or the order recorded for a Likert scale) with ``(missing)``
    last. A transcript's attributes are those of its case (a survey respondent's answers
    share one case). ``question`` groups survey answers by the question they answer.
    ``bins`` (ascending edges, e.g. 18, 30, 45, 60) groups numeric values into ``[18, 30)``,
    ``[30, 45)``, ``[45, 60)`` and ``≥60`` (a bin holds its lower edge, not its upper: 29.5
    is in ``[18, 30)``); values below the first edge are ``<18``."""
    from .surveys import question_label

    names = project.attribute_names()
    transcripts = project.transcript_names()
    if attribute == QUESTION and attribute not in names:
        metadata = project.transcript_metadata()
        # Labelled as tables show questions: Q12 您没有使用政务服务网的原因是？
        group = {
            t: question_label(metadata[t]["question"], metadata[t].get("question_text", ""))
            if metadata.get(t, {}).get("question")
            else MISSING
            for t in transcripts
        }
    else:
        attribute = resolve_attribute(project, attribute)
        if attribute not in names:
            raise AttributesError(
                f"no respondent attribute {attribute!r}; the project has: "
                f"{', '.join(names) or 'none'}"
                " (import them with: qualcode import PROJECT --attributes FILE)"
            )
        table = project.attributes()
        case_of = project.transcript_cases()
        group = {
            t: table.get(case_of.get(t, t), {}).get(attribute, "") or MISSING for t in transcripts
        }
    order: list[str] = project.attribute_orders().get(attribute, [])
    if bins:
        group, order = _binned(group, bins), _bin_labels(bins)
    rank = {value: i for i, value in enumerate(order)}
    values = sorted(
        set(group.values()) - {MISSING},
        key=lambda v: (0, rank[v], []) if v in rank else (1, 0, natural_key(v)),
    )
    return group, values + ([MISSING] if MISSING in group.values() else [])


def resolve_attribute(project: Project, attribute: str) -> str:
    """The respondent attribute ``attribute`` names: its own name, or for a survey question
    (see :mod:`qualcode.surveys`) the header as exported (``1、您的年龄段``), the question
    number (``Q1`` or ``1``), the question text (``您的年龄段``) or the label tables show
    (``Q1 您的年龄段``). ``attribute`` itself when nothing matches (the caller says so); an
    :class:`AttributesError` when it names several (the options of one multi-choice
    question share its text)."""
    names = project.attribute_names()
    wanted = attribute.strip()
    if wanted in names:
        return wanted
    if re.fullmatch(r"[Qq]?\d+", wanted) and f"Q{wanted.lstrip('Qq')}" in names:
        return f"Q{wanted.lstrip('Qq')}"
    types = project.attribute_types()
    found = [
        name
        for name in names
        if (kind := types.get(name, {})).get("label")
        and wanted
        in (kind["header"], kind["question"], kind["label"], kind["label"].partition(" ")[2])
    ]
    if len(found) > 1:
        raise AttributesError(
            f"{attribute!r} names several attributes: {', '.join(found)}; choose one of them"
        )
    return found[0] if found else attribute


def attribute_label(project: Project, attribute: str) -> str:
    """How tables name an attribute: a survey question's label (``Q4 您对网站信息安全的信任
    程度``), else its name."""
    if attribute == QUESTION:
        return attribute
    name = resolve_attribute(project, attribute)
    return project.attribute_types().get(name, {}).get("label") or name


def _edge(value: float) -> str:
    return f"{value:g}"


def _bin_labels(bins: Sequence[float]) -> list[str]:
    """Labels that say exactly which values a bin holds: ``<18``, ``[18, 30)`` … ``≥60``."""
    edges = sorted(bins)
    labels = [f"<{_edge(edges[0])}"]
    labels += [f"[{_edge(lo)}, {_edge(hi)})" for lo, hi in pairwise(edges)]
    return labels + [f"≥{_edge(edges[-1])}"]


def _binned(group: dict[str, str], bins: Sequence[float]) -> dict[str, str]:
    edges, labels = sorted(bins), _bin_labels(bins)
    binned = {}
    for transcript, value in group.items():
        try:
            number = float(value)
        except ValueError:
            binned[transcript] = MISSING if value == MISSING else value
            continue
        binned[transcript] = labels[bisect_right(edges, number)]
    return binned


def crosstab(
    project: Project,
    attribute: str,
    *,
    count: str = "respondents",
    coders: Sequence[str] | None = None,
    status: str = "confirmed",
    bins: Sequence[float] | None = None,
    speaker_roles: Sequence[str] | None = None,
    rollup: bool = True,
) -> CrossTab:
    """Codes × values of respondent ``attribute``, counting ``respondents`` mentioning each
    code (default) or ``segments``, with row and column percentages and totals; parents
    rolled up (``rollup=False``: as coded).

    The tests are always on respondents, one per code, whatever ``count`` shows: segments
    are not independent observations (one respondent gives many, and one sentence coded by
    three coders is three segments), so ``count="segments"`` adds a warning saying so.
    Respondents whose value is ``(missing)`` are left out of every test, and so are values
    no respondent has; ``n`` and ``missing`` say how many respondents were tested and left out.

    - Each respondent in one value (an attribute such as age): Pearson's chi-square without
      continuity correction (``scipy.stats.chi2_contingency(..., correction=False)``) on the
      2 × k table of respondents with and without the code in each of the k values, flagged
      ``expected too small`` by Cochran's rule (an expected count below 1, or more than 20 %
      of them below 5); :attr:`CrossTab.expected` holds the expected counts it used.
    - Respondents in several values (``--by question``, where one respondent answers several
      questions): the values are not independent samples, so the test pairs each
      respondent's answers: McNemar's test for two values (chi-square ``(b - c)² / (b + c)``
      without continuity correction, flagged below 10 discordant respondents), Cochran's Q
      for more, both on the respondents who have every value; declined, with the reason in
      ``note``, when fewer than two do.
    ``speaker_roles``: only codings in what speakers with these roles said.
    """
    if count not in ("respondents", "segments"):
        raise ProjectError(f"count {count!r}: use respondents or segments")
    data = segments(
        project, coders=coders, status=status, speaker_roles=speaker_roles, rollup=rollup
    )
    group, values = attribute_groups(project, attribute, bins)
    # A respondent is a case: one interview, or every answer of one survey respondent.
    case_of = project.transcript_cases()
    value_of = np.array([group[t] for t in data.transcripts] or [""], dtype=object)
    respondent_of = np.array([case_of.get(t, t) for t in data.transcripts] or [""], dtype=object)
    rows = data.frame["transcript"].cat.codes.to_numpy()
    frame = data.frame.assign(
        value=value_of[rows] if len(data.frame) else [],
        respondent=respondent_of[rows] if len(data.frame) else [],
    )
    by_respondent = frame.drop_duplicates(["code", "respondent", "value"])
    respondents = {(case_of.get(t, t), value) for t, value in group.items()}
    respondent_base = (
        pd.Series([value for _, value in respondents], dtype=object)
        .value_counts()
        .reindex(values, fill_value=0)
    )
    if count == "respondents":
        frame, base = by_respondent, respondent_base
    else:
        base = frame.drop_duplicates(SEGMENT)["value"].value_counts().reindex(values, fill_value=0)
    cells = _cells(frame, data.code_ids, values)
    total = int(base.sum())
    base_row = [*base.tolist(), total]
    labels = _code_columns(data.codes)
    bottom = ["", f"({count})"]

    def with_labels(body: pd.DataFrame, last: list[object]) -> pd.DataFrame:
        out = pd.concat([labels, body.reset_index(drop=True)], axis=1)
        out.loc[len(out)] = [*bottom, *last]
        return out

    counts = with_labels(cells, base_row)
    row_totals = cells["Total"].replace(0, np.nan)
    row_percent = with_labels(
        cells.div(row_totals, axis=0) * 100,
        [*(100 * base / total if total else base * np.nan), 100.0],
    )
    column_base = pd.Series([*base.tolist(), total], index=cells.columns).replace(0, np.nan)
    column_percent = with_labels(
        cells.div(column_base, axis=1) * 100, [100.0 if b else np.nan for b in base_row]
    )
    tested = [v for v in values if v != MISSING and respondent_base[v] > 0]
    present = _cells(by_respondent, data.code_ids, values)
    members = {}  # value -> its respondents
    for respondent, value in respondents:
        members.setdefault(value, set()).add(respondent)
    repeated = _repeated(members, tested)
    warnings = []
    if count == "segments":
        warnings.append(
            "segments are not independent observations (one respondent gives many "
            "segments, and a sentence coded by several coders counts once per "
            "coder): the tests count respondents, each once per code"
        )
    if repeated:
        warnings.append(
            f"{repeated} respondents have more than one of the values compared, so "
            "the values are not independent samples: the tests pair each "
            "respondent's values (McNemar for two values, Cochran's Q for more)"
        )
    if repeated:
        coded = {
            (str(c), r, v)
            for c, r, v in by_respondent[["code", "respondent", "value"]].itertuples(
                index=False, name=None
            )
        }
        tests = _paired_tests(data.codes, coded, members, tested)
        expected_cells = pd.DataFrame(np.nan, index=cells.index, columns=tested)
    else:
        tests, expected_cells = _chi_square_tests(data.codes, present, respondent_base, tested)
    n_missing = int(respondent_base.get(MISSING, 0))
    tests.insert(4, "missing", n_missing)
    expected_cells["Total"] = expected_cells.sum(axis=1, min_count=1)
    expected = with_labels(
        expected_cells, [*respondent_base[tested].tolist(), int(respondent_base[tested].sum())]
    )
    expected.loc[len(expected) - 1, "code"] = "(respondents)"
    name = attribute if attribute == QUESTION else resolve_attribute(project, attribute)
    return CrossTab(
        name,
        count,
        counts,
        row_percent,
        column_percent,
        expected,
        tests,
        label=attribute_label(project, name),
        warnings=warnings,
    )


def _cells(frame: pd.DataFrame, code_ids: list[str], values: list[str]) -> pd.DataFrame:
    """Rows of ``frame`` per code and value, with a ``Total`` column."""
    cells = (
        frame.groupby(["code", "value"], observed=False)
        .size()
        .unstack("value")
        .reindex(index=code_ids, columns=values, fill_value=0)
        .fillna(0)
        .astype(int)
    )
    cells["Total"] = cells.sum(axis=1)
    return cells


def _repeated(members: dict[str, set[str]], tested: list[str]) -> int:
    """How many respondents have more than one of the ``tested`` values."""
    seen = Counter(r for v in tested for r in members.get(v, ()))
    return sum(1 for n in seen.values() if n > 1)


_TEST_COLUMNS = [
    "code_id",
    "code",
    "test",
    "n",
    "chi2",
    "dof",
    "p",
    "min expected",
    "% expected < 5",
    "expected too small",
    "note",
]


def _chi_square_tests(
    infos: list[CodeInfo], present_cells: pd.DataFrame, base: pd.Series, tested: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pearson's test per code on respondents, and the expected counts of respondents with
    the code that each test used (NaN where no test ran)."""
    rows = []
    expected_cells = pd.DataFrame(np.nan, index=present_cells.index, columns=tested)
    n = int(base[tested].sum()) if tested else 0
    for info in infos:
        present = present_cells.loc[info.id, tested].to_numpy(dtype=float)
        absent = base[tested].to_numpy(dtype=float) - present
        row = {
            "code_id": info.id,
            "code": info.label,
            "test": "Pearson chi-square",
            "n": n,
            "chi2": np.nan,
            "dof": np.nan,
            "p": np.nan,
            "min expected": np.nan,
            "% expected < 5": np.nan,
            "expected too small": False,
            "note": "",
        }
        if len(tested) < 2:
            row["note"] = "fewer than two values to compare"
        elif present.sum() == 0 or absent.sum() == 0:
            row["note"] = "no test: none or all have it"
        else:
            chi2, p, dof, expected = pearson_chi_square(np.vstack([present, absent]))
            expected_cells.loc[info.id] = expected[0]
            small = float((expected < 5).mean())
            flagged = bool(expected.min() < 1 or small > 0.2)
            row.update(
                {
                    "chi2": float(chi2),
                    "dof": int(dof),
                    "p": float(p),
                    "min expected": float(expected.min()),
                    "% expected < 5": 100 * small,
                    "expected too small": flagged,
                    "note": "expected counts too small (Cochran): p unreliable" if flagged else "",
                }
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=_TEST_COLUMNS), expected_cells


def pearson_chi_square(table: np.ndarray) -> tuple[float, float, int, np.ndarray]:
    """Pearson's chi-square test of a contingency table without continuity correction:
    ``(chi2, p, dof, expected counts)``, what ``scipy.stats.chi2_contingency(table,
    correction=False)`` gives, computed here so a report does not import all of
    ``scipy.stats`` (half a second) for it."""
    table = np.asarray(table, dtype=float)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    chi2 = float(((table - expected) ** 2 / expected).sum()) if dof else 0.0
    return chi2, chi_square_p(dof, chi2) if dof else 1.0, dof, expected


def chi_square_p(dof: int, statistic: float) -> float:
    """The probability that a chi-square variable with ``dof`` (a whole number, 1 or more)
    degrees of freedom exceeds ``statistic``: what ``scipy.special.chdtrc`` gives, from the
    closed forms of the upper incomplete gamma function at whole and half-whole orders, so
    that a report does not import ``scipy.special`` (0.15 s) for it. Every term of the sums
    is positive: no cancellation, full precision down to the smallest p a float holds."""
    if statistic <= 0:
        return 1.0
    half = statistic / 2
    if dof % 2 == 0:  # e^-h * sum of h^i / i! for i < dof / 2
        term = total = 1.0
        for i in range(1, dof // 2):
            term *= half / i
            total += term
        return min(1.0, _times_exp(total, -half))
    # erfc(sqrt(h)) + sqrt(2x/pi) e^-h * sum of x^(i-1) / (1 * 3 * ... * (2i - 1)), i <= dof // 2
    term = total = 1.0
    for i in range(1, dof // 2):
        term *= statistic / (2 * i + 1)
        total += term
    tail = _times_exp(total * math.sqrt(2 * statistic / math.pi), -half) if dof > 1 else 0.0
    return min(1.0, math.erfc(math.sqrt(half)) + tail)


def _times_exp(value: float, exponent: float) -> float:
    """``value * e**exponent`` without underflowing to 0 while the product is a float."""
    return (
        math.exp(exponent + math.log(value))
        if value > 1e300 or exponent < -700
        else value * math.exp(exponent)
    )


def _paired_tests(
    infos: list[CodeInfo],
    coded: set[tuple[str, str, str]],
    members: dict[str, set[str]],
    tested: list[str],
) -> pd.DataFrame:
    """McNemar (two values) or Cochran's Q (more) per code, on the respondents who have
    every tested value; a declined test says why in ``note``."""
    complete = sorted(set.intersection(*(members[v] for v in tested))) if tested else []
    k = len(tested)
    name = "McNemar" if k == 2 else "Cochran's Q"
    rows = []
    for info in infos:
        row = {
            "code_id": info.id,
            "code": info.label,
            "test": name,
            "n": len(complete),
            "chi2": np.nan,
            "dof": np.nan,
            "p": np.nan,
            "min expected": np.nan,
            "% expected < 5": np.nan,
            "expected too small": False,
            "note": "",
        }
        rows.append(row)
        if k < 2:
            row["note"] = "fewer than two values to compare"
            continue
        if len(complete) < 2:
            row["note"] = (
                f"declined: respondents have several of these values, so the groups "
                f"are not independent, and {len(complete)} respondents have all "
                f"{k} (a paired test needs two or more)"
            )
            continue
        x = np.array([[(info.id, r, v) in coded for v in tested] for r in complete], dtype=int)
        if k == 2:
            b = int(((x[:, 0] == 1) & (x[:, 1] == 0)).sum())
            c = int(((x[:, 0] == 0) & (x[:, 1] == 1)).sum())
            if b + c == 0:
                row["note"] = "no test: no respondent differs between the two values"
                continue
            statistic = (b - c) ** 2 / (b + c)
            flagged = b + c < 10
            row.update(
                {
                    "expected too small": flagged,
                    "note": f"{b + c} discordant respondents (fewer than 10): p unreliable"
                    if flagged
                    else "",
                }
            )
        else:
            columns, totals = x.sum(axis=0), x.sum(axis=1)
            denominator = k * totals.sum() - (totals**2).sum()
            if denominator == 0:
                row["note"] = "no test: no respondent differs between the values"
                continue
            statistic = (k - 1) * (k * (columns**2).sum() - totals.sum() ** 2) / denominator
        left_out = len(set().union(*(members[v] for v in tested))) - len(complete)
        if left_out:
            row["note"] = "; ".join(
                filter(
                    None, [row["note"], f"{left_out} respondents without all {k} values left out"]
                )
            )
        row.update(
            {"chi2": float(statistic), "dof": k - 1, "p": chi_square_p(k - 1, float(statistic))}
        )
    return pd.DataFrame(rows, columns=_TEST_COLUMNS)


def crosstab_segments(
    project: Project,
    attribute: str,
    code_id: str,
    value: str | None,
    *,
    coders: Sequence[str] | None = None,
    status: str = "confirmed",
    bins: Sequence[float] | None = None,
    rollup: bool = True,
) -> pd.DataFrame:
    """The segments behind one cell of :func:`crosstab`: those of ``code_id`` (its
    descendants' rolled up, as the cell counts them, unless ``rollup=False``) in the
    transcripts whose ``attribute``
    is ``value`` (``None``: any value, the ``Total`` column). Columns ``transcript``,
    ``start``, ``end``, ``coder`` (plain strings and ints), in transcript and text order."""
    data = segments(project, coders=coders, status=status, rollup=rollup)
    group, _ = attribute_groups(project, attribute, bins)
    frame = data.frame[data.frame["code"] == code_id]
    if value is not None:
        frame = frame[frame["transcript"].map(group).astype(object) == value]
    frame = frame.assign(
        transcript=frame["transcript"].astype(str), coder=frame["coder"].astype(str)
    )[SEGMENT]
    return frame.sort_values(["transcript", "start", "end", "coder"]).reset_index(drop=True)


# --- code × transcript matrix -------------------------------------------------------------


def matrix(
    project: Project,
    *,
    presence: bool = False,
    coders: Sequence[str] | None = None,
    status: str = "confirmed",
    speaker_roles: Sequence[str] | None = None,
    rollup: bool = True,
) -> pd.DataFrame:
    """Codes × transcripts: segments per cell (or 1/0 for ``presence``), parents rolled up
    (``rollup=False``: as coded),
    one column per transcript and a ``Total`` (segments, or transcripts with the code);
    with ``speaker_roles``, only codings in what speakers with these roles said."""
    data = segments(
        project, coders=coders, status=status, speaker_roles=speaker_roles, rollup=rollup
    )
    frame = data.frame.drop_duplicates(["code", "transcript"]) if presence else data.frame
    cells = (
        frame.groupby(["code", "transcript"], observed=False)
        .size()
        .unstack("transcript")
        .reindex(index=data.code_ids, columns=data.transcripts, fill_value=0)
        .fillna(0)
        .astype(int)
    )
    cells["Total"] = cells.sum(axis=1)
    return pd.concat([_code_columns(data.codes), cells.reset_index(drop=True)], axis=1)


# --- co-occurrence ------------------------------------------------------------------------


def units(project: Project, unit: str = "sentence") -> pd.DataFrame:
    """Every sentence (or speaker turn's body) of every transcript: ``transcript``
    (categorical over the transcript names), ``number`` (1-based), ``start``, ``end``,
    ``speaker``, sorted by transcript and position."""
    if unit not in UNITS:
        raise ProjectError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}")
    return _cached(project, ("units", unit), lambda: _read_units(project, unit)).copy(deep=False)


def _read_units(project: Project, unit: str) -> pd.DataFrame:
    names = project.transcript_names()
    with _gc_paused():
        rows = project.unit_rows(unit)
        transcript, number, start, end, speaker = list(zip(*rows)) if rows else [()] * 5
    frame = pd.DataFrame(
        {
            "transcript": pd.Categorical.from_codes(
                _indices(transcript, {t: i for i, t in enumerate(names)}), categories=names
            ),
            "number": np.asarray(number, dtype=np.int64),
            "start": np.asarray(start, dtype=np.int64),
            "end": np.asarray(end, dtype=np.int64),
            "speaker": pd.Categorical(speaker),
        }
    )
    return frame.sort_values(["transcript", "start"], kind="stable").reset_index(drop=True)


def touched_units(spans: pd.DataFrame, unit_frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which units each span overlaps by a character or more: ``(span_rows, unit_rows)``,
    positional indices into ``spans`` and ``unit_frame`` (both with a categorical
    ``transcript`` over the same names, ``start`` and ``end``; units sorted and disjoint)."""
    u_key = unit_frame["transcript"].cat.codes.to_numpy(np.int64) * _SHIFT
    u_start, u_end = u_key + unit_frame["start"].to_numpy(), u_key + unit_frame["end"].to_numpy()
    s_key = spans["transcript"].cat.codes.to_numpy(np.int64) * _SHIFT
    first = np.searchsorted(u_end, s_key + spans["start"].to_numpy(), side="right")
    stop = np.searchsorted(u_start, s_key + spans["end"].to_numpy(), side="left")
    n = np.clip(stop - first, 0, None)
    span_rows = np.repeat(np.arange(len(spans)), n)
    steps = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return span_rows, np.repeat(first, n) + steps


def cooccurrence(
    project: Project,
    *,
    unit: str = "overlap",
    jaccard: bool = False,
    coders: Sequence[str] | None = None,
    status: str = "confirmed",
    with_ancestors: bool = False,
    speaker_roles: Sequence[str] | None = None,
    rollup: bool = True,
) -> pd.DataFrame:
    """Code × code: how often two codes occur together, parents rolled up (``rollup=False``:
    as coded), for the codes that are used (rows and columns in codebook order; columns
    named by code id).

    ``unit="overlap"``: pairs of segments (one of each code) in the same transcript that
    overlap by a character or more, whoever coded them; the diagonal is the code's segments.
    ``unit="sentence"`` or ``"turn"``: units where both codes are present (some coding of the
    code overlaps the unit); the diagonal is the units with the code.
    ``jaccard``: ``n_ab / (n_a + n_b - n_ab)`` instead of counts (for overlap this is
    ATLAS.ti's c-coefficient, which can exceed 1 when one segment overlaps several).
    The cells pairing a code with its own parent or any other ancestor are empty (NaN):
    rolled up, each of a child's segments is its parent's too, so that pair only repeats
    the child's count; as coded, a parent and its child on one span are one idea coded at
    two levels, not two ideas meeting. ``with_ancestors=True`` fills them anyway (for
    checking the arithmetic, not for a report).
    ``speaker_roles``: only codings, and units, in what speakers with these roles said.
    """
    if unit not in COOCCURRENCE_UNITS:
        raise ProjectError(f"unknown unit {unit!r}; use one of {', '.join(COOCCURRENCE_UNITS)}")
    data = segments(
        project, coders=coders, status=status, speaker_roles=speaker_roles, rollup=rollup
    )
    used_ids = set(data.frame["code"].unique())
    used = [info for info in data.codes if info.id in used_ids]
    k = len(used)
    index = {info.id: i for i, info in enumerate(used)}
    frame = data.frame
    remap = np.array([index.get(info.id, -1) for info in data.codes], dtype=np.int64)
    code_index = remap[frame["code"].cat.codes.to_numpy(np.int64)]
    counts = np.zeros((k, k), dtype=np.int64)
    if unit == "overlap":
        key = frame["transcript"].cat.codes.to_numpy(np.int64) * _SHIFT
        order = np.argsort(key + frame["start"].to_numpy(), kind="stable")
        starts = (key + frame["start"].to_numpy())[order]
        ends = (key + frame["end"].to_numpy())[order]
        codes_sorted = code_index[order]
        # Sorted by start, segment j > i overlaps segment i exactly when it starts before
        # i ends: the pairs of i are the run i+1 .. stop-1.
        stop = np.searchsorted(starts, ends, side="left")
        n = np.clip(stop - np.arange(len(starts)) - 1, 0, None)
        first = np.repeat(np.arange(len(starts)), n)
        second = first + 1 + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        a, b = codes_sorted[first], codes_sorted[second]
        different = a != b
        np.add.at(counts, (a[different], b[different]), 1)
        counts = counts + counts.T
        np.fill_diagonal(counts, np.bincount(code_index, minlength=k))
    else:
        unit_frame = _said_by(project, units(project, unit), speaker_roles)
        span_rows, unit_rows = touched_units(frame, unit_frame)
        pairs = _distinct(code_index[span_rows] * len(unit_frame) + unit_rows)
        from scipy.sparse import csr_matrix

        incidence = csr_matrix(
            (
                np.ones(len(pairs), dtype=np.int64),
                (pairs % max(len(unit_frame), 1), pairs // max(len(unit_frame), 1)),
            ),
            shape=(len(unit_frame), k),
        )
        counts = (incidence.T @ incidence).toarray()
    values: np.ndarray = counts
    if jaccard:
        diagonal = np.diag(counts)
        union = diagonal[:, None] + diagonal[None, :] - counts
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(union > 0, counts / np.where(union > 0, union, 1), np.nan)
    if not with_ancestors:
        values = values.astype(float)
        for i, info in enumerate(used):
            for ancestor in info.lineage[1:]:
                if ancestor in index:
                    values[i, index[ancestor]] = values[index[ancestor], i] = np.nan
    body = pd.DataFrame(values, columns=[info.id for info in used])
    return pd.concat([_code_columns(used), body], axis=1)


# --- words --------------------------------------------------------------------------------


@dataclass(slots=True)
class Tokens:
    """The countable words of a project's transcripts, from the word boundaries the store
    keeps (jieba with the project's dictionary, codebook keywords whole): words inside
    sentences (speaker labels, timestamps and header blocks left out), case-folded, stop
    words and punctuation/digit/symbol-only tokens removed."""

    frame: pd.DataFrame  # transcript (categorical), start, end, word (categorical)
    transcripts: list[str]
    stopwords: frozenset[str] = field(repr=False, default=frozenset())


def tokens(
    project: Project,
    transcripts: Sequence[str] | None = None,
    speaker_roles: Sequence[str] | None = None,
    where: Sequence[str] | None = None,
) -> Tokens:
    """The project's countable words (see :class:`Tokens`); of ``transcripts`` only if given;
    with ``speaker_roles``, only the words of speakers with these roles (the sentences of
    their turns: e.g. without the interviewer's questions); with ``where``, only the
    transcripts of the respondents it matches."""
    from .stopwords import is_countable, stopwords

    names = project.transcript_names()
    named = None if transcripts is None else [project.resolve(t) for t in transcripts]
    narrowed = narrow(project, named, where)
    chosen = names if narrowed is None else narrowed
    stop = stopwords(project.folder)
    texts = project.transcript_texts(None if narrowed is None else chosen)
    word_ends = project.word_ends()
    sentences = _said_by(project, units(project, "sentence"), speaker_roles)
    by_transcript = dict(iter(sentences.groupby("transcript", observed=True)))
    position = {name: i for i, name in enumerate(names)}
    transcript_parts, start_parts, end_parts = [], [], []
    words: list[str] = []
    with _gc_paused():  # a million short strings
        for name in chosen:
            text = texts[name]
            ends = np.frombuffer(word_ends[name], dtype=np.int32).astype(np.int64)
            starts = np.concatenate([[0], ends[:-1]])
            mine = by_transcript.get(name, sentences.iloc[:0])
            s_start, s_end = mine["start"].to_numpy(), mine["end"].to_numpy()
            i = np.searchsorted(s_end, starts, side="right")
            inside = i < len(s_end)
            inside[inside] &= (s_start[i[inside]] <= starts[inside]) & (
                ends[inside] <= s_end[i[inside]]
            )
            starts, ends = starts[inside], ends[inside]
            words += [text[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
            transcript_parts.append(np.full(len(starts), position[name], dtype=np.int64))
            start_parts.append(starts)
            end_parts.append(ends)
        # Case-fold and judge each distinct word once, not each of its occurrences.
        raw_codes, raw_words = pd.factorize(np.asarray(words, dtype=object))
        folded = [w.casefold() for w in raw_words]
        word_codes, vocabulary = pd.factorize(np.asarray(folded, dtype=object))
        keep = np.array([is_countable(w) and w not in stop for w in vocabulary], dtype=bool)
    code = word_codes[raw_codes] if len(raw_codes) else np.zeros(0, dtype=np.int64)
    mask = keep[code] if len(code) else np.zeros(0, dtype=bool)
    used, code = np.unique(code[mask], return_inverse=True)
    frame = pd.DataFrame(
        {
            "transcript": pd.Categorical.from_codes(
                np.concatenate(transcript_parts)[mask] if words else np.zeros(0, dtype=np.int64),
                categories=names,
            ),
            "start": np.concatenate(start_parts)[mask] if words else np.zeros(0, dtype=np.int64),
            "end": np.concatenate(end_parts)[mask] if words else np.zeros(0, dtype=np.int64),
            "word": pd.Categorical.from_codes(
                code, categories=pd.Index(np.asarray(vocabulary, dtype=object)[used], dtype=object)
            ),
        }
    )
    return Tokens(frame, list(chosen), stop)


def word_frequencies(
    project: Project,
    *,
    top: int | None = 100,
    transcripts: Sequence[str] | None = None,
    speaker_roles: Sequence[str] | None = None,
    where: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The commonest words (see :class:`Tokens` for what counts): ``word``, ``count``,
    ``per 1,000 words`` (of the words counted), ``transcripts`` using it; ``top`` rows (all
    when None), by count then word. ``speaker_roles``: only what speakers with these roles
    said (``["respondent"]`` leaves the interviewer's questions out); ``where``: only the
    respondents it matches."""
    found = tokens(project, transcripts, speaker_roles, where).frame
    if found.empty:
        return pd.DataFrame({"word": [], "count": [], "per 1,000 words": [], "transcripts": []})
    table = (
        found.groupby("word", observed=True)
        .agg(count=("start", "size"), transcripts=("transcript", "nunique"))
        .reset_index()
    )
    table["word"] = table["word"].astype(str)
    table["per 1,000 words"] = 1000 * table["count"] / len(found)
    table = table.sort_values(["count", "word"], ascending=[False, True], kind="stable")
    table = table[["word", "count", "per 1,000 words", "transcripts"]].reset_index(drop=True)
    return table if top is None else table.head(top)


def _covered(spans: pd.DataFrame, points: pd.DataFrame) -> np.ndarray:
    """For each row of ``points`` (transcript, start, end), whether it overlaps the union of
    ``spans`` (transcript, start, end) by a character or more."""
    if spans.empty or points.empty:
        return np.zeros(len(points), dtype=bool)
    key = spans["transcript"].cat.codes.to_numpy(np.int64) * _SHIFT
    starts, ends = key + spans["start"].to_numpy(), key + spans["end"].to_numpy()
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], np.maximum.accumulate(ends[order])
    p_key = points["transcript"].cat.codes.to_numpy(np.int64) * _SHIFT
    p_start, p_end = p_key + points["start"].to_numpy(), p_key + points["end"].to_numpy()
    # The last span starting before the point ends: with ends running as a maximum, the
    # point is covered when that reach passes the point's start.
    i = np.searchsorted(starts, p_end, side="left") - 1
    return (i >= 0) & (ends[np.clip(i, 0, None)] > p_start)


def distinctive_words(
    project: Project,
    code_ids: Sequence[str] | None = None,
    *,
    top: int = 20,
    min_count: int = 3,
    coders: Sequence[str] | None = None,
    status: str = "confirmed",
    speaker_roles: Sequence[str] | None = None,
    where: Sequence[str] | None = None,
    rollup: bool = True,
) -> pd.DataFrame:
    """The words most distinctive of each code's segments against the rest of the corpus,
    by keyness: the log-likelihood ``G2`` in Rayson and Garside's (2000) form, summed over
    the word's two cells only, ``2 Σ O ln(O / E)`` for its count inside the code's segments
    (parents rolled up, or as coded with ``rollup=False``) and its count in all other words
    of the transcripts (the Lancaster log-likelihood calculator's figure; Dunning's full
    2 × 2 G² would add the cells of the other words). Only words used more inside than
    outside and at least ``min_count`` times inside are listed, ``top`` per code, by G2.

    Columns: ``code_id``, ``code``, ``word``, ``in code``, ``elsewhere`` (counts), ``per
    1,000 in code``, ``per 1,000 elsewhere``, ``log ratio`` (log2 of the ratio of relative
    frequencies, Hardie's effect size; 0.5 stands in for a zero count elsewhere), ``G2``,
    ``p`` (chi-square with 1 df; 3.84 is p = 0.05, 10.83 is p = 0.001), ``q`` (p adjusted
    by Benjamini and Hochberg's false discovery rate over the family of every word of the
    code counted at least ``min_count`` times in it, used more inside or not: the tests a
    reader could have picked from).

    ``code_ids``: those codes; None: every code used. ``speaker_roles``: the codings and the
    corpus are only what speakers with these roles said. ``where``: the codings and the
    corpus are only those of the respondents it matches.
    """
    from scipy.special import erfc
    from scipy.stats import false_discovery_control

    data = segments(
        project,
        coders=coders,
        status=status,
        speaker_roles=speaker_roles,
        where=where,
        rollup=rollup,
    )
    if code_ids is not None:
        known = set(data.code_ids)
        for code_id in code_ids:
            if code_id not in known:
                project.require_code(code_id)
    found = tokens(project, speaker_roles=speaker_roles, where=where)
    frame = found.frame
    word_codes = frame["word"].cat.codes.to_numpy()
    vocabulary = np.asarray(frame["word"].cat.categories, dtype=object)
    totals = np.bincount(word_codes, minlength=len(vocabulary))
    wanted = (
        code_ids
        if code_ids is not None
        else [i for i in data.code_ids if (data.frame["code"] == i).any()]
    )
    labels = {info.id: info.label for info in data.codes}
    tables = []
    for code_id in wanted:
        inside = _covered(data.frame[data.frame["code"] == code_id], frame)
        a = np.bincount(word_codes[inside], minlength=len(vocabulary)).astype(float)
        b = totals - a
        size_a, size_b = a.sum(), b.sum()
        if size_a == 0 or size_b == 0:
            continue
        g2 = _log_likelihood(a, b, size_a, size_b)
        rate_a, rate_b = a / size_a, b / size_b
        family = a >= min_count
        p = np.ones(len(vocabulary))
        q = np.ones(len(vocabulary))
        p[family] = erfc(np.sqrt(np.clip(g2[family], 0, None) / 2))  # chi-square, 1 df
        if family.any():
            q[family] = false_discovery_control(p[family], method="bh")
        keep = family & (rate_a > rate_b)
        table = pd.DataFrame(
            {
                "code_id": code_id,
                "code": labels.get(code_id, ""),
                "word": vocabulary[keep],
                "in code": a[keep].astype(int),
                "elsewhere": b[keep].astype(int),
                "per 1,000 in code": 1000 * rate_a[keep],
                "per 1,000 elsewhere": 1000 * rate_b[keep],
                "log ratio": np.log2(rate_a[keep] / (np.where(b[keep] > 0, b[keep], 0.5) / size_b)),
                "G2": g2[keep],
                "p": p[keep],
                "q": q[keep],
            }
        )
        tables.append(table.sort_values(["G2", "word"], ascending=[False, True]).head(top))
    columns = [
        "code_id",
        "code",
        "word",
        "in code",
        "elsewhere",
        "per 1,000 in code",
        "per 1,000 elsewhere",
        "log ratio",
        "G2",
        "p",
        "q",
    ]
    if not tables:
        return pd.DataFrame(columns=columns)
    return pd.concat(tables, ignore_index=True)[columns]


def _log_likelihood(a: np.ndarray, b: np.ndarray, size_a: float, size_b: float) -> np.ndarray:
    """Dunning's G2 for counts ``a`` in a corpus of ``size_a`` words against ``b`` in
    ``size_b`` (Rayson and Garside 2000): 2 Σ O ln(O / E), with 0 ln 0 = 0."""
    expected_a = size_a * (a + b) / (size_a + size_b)
    expected_b = size_b * (a + b) / (size_a + size_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        part_a = np.where(a > 0, a * np.log(a / expected_a), 0.0)
        part_b = np.where(b > 0, b * np.log(b / expected_b), 0.0)
    return 2 * (part_a + part_b)


# --- keyword in context -------------------------------------------------------------------


@dataclass(slots=True)
class Kwic:
    """Keyword in context: ``hits`` where the word is whole words of the segmentation,
    ``inside_words`` where the same characters are only part of a longer word, named in its
    column ``in word`` (shown apart, so a search for 宣传 neither silently misses nor mixes in
    宣传部)."""

    word: str
    hits: pd.DataFrame
    inside_words: pd.DataFrame

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [("hits", self.hits), ("inside other words", self.inside_words)]


KWIC_COLUMNS = [
    "transcript",
    "sentence",
    "speaker",
    "start",
    "end",
    "left",
    "word",
    "right",
    "codes",
]


def kwic(
    project: Project,
    word: str,
    *,
    width: int = 20,
    transcripts: Sequence[str] | None = None,
    coders: Sequence[str] | None = None,
    status: str = "confirmed",
    speaker_roles: Sequence[str] | None = None,
    where: Sequence[str] | None = None,
) -> Kwic:
    """Every occurrence of ``word`` with ``width`` characters of context on each side (within
    its line), the number of the sentence it is in, and the codes (``id 标签``) of the
    codings that overlap it. A hit must start and end on word boundaries of the stored
    segmentation (one word, or a run of whole words); other occurrences go to
    ``inside_words``. ``speaker_roles``: only occurrences in what speakers with these roles
    said; ``where``: only in the transcripts of the respondents it matches."""
    word = word.strip()
    if not word:
        raise ProjectError("give a word to look for")
    check_coders(project, coders)
    roles = check_roles(speaker_roles)
    allowed = allowed_spans(project, roles) if roles is not None else None
    named = None if transcripts is None else [project.resolve(t) for t in transcripts]
    narrowed = narrow(project, named, where)
    names = project.transcript_names() if narrowed is None else narrowed
    labels = {info.id: info.label for info in codes(project)}
    by_transcript: dict[str, list[tuple[int, int, str]]] = {}
    for name, start, end, code_id, _ in project.coding_rows(
        coders=coders, statuses=statuses(status)
    ):
        by_transcript.setdefault(name, []).append((start, end, code_id))
    for spans in by_transcript.values():
        spans.sort()
    texts = project.transcript_texts(None if narrowed is None else names)
    word_ends = project.word_ends()
    sentence_frame = units(project, "sentence")
    sentences = dict(iter(sentence_frame.groupby("transcript", observed=True)))
    hits: list[list[object]] = []
    inside: list[list[object]] = []
    for name in names:
        text = texts[name]
        position = text.find(word)
        if position < 0:
            continue
        mine = sentences.get(name, sentence_frame.iloc[:0])
        sentence_starts = mine["start"].tolist()
        sentence_ends, numbers = mine["end"].tolist(), mine["number"].tolist()
        speakers = mine["speaker"].astype(str).tolist()
        boundaries = [0, *word_ends[name]]
        on_boundary = set(boundaries)
        while position >= 0:
            stop = position + len(word)
            if allowed is not None and not overlaps(allowed.get(name, []), position, stop):
                position = text.find(word, position + 1)
                continue
            before, after = project.context(name, position, stop, width)
            n = bisect_right(sentence_starts, position) - 1
            in_sentence = n >= 0 and sentence_ends[n] > position
            found = Counter(
                f"{code_id} {labels.get(code_id, '')}".strip()
                for s, e, code_id in by_transcript.get(name, ())
                if s < stop and position < e
            )
            row = [
                name,
                numbers[n] if in_sentence else None,
                speakers[n] if in_sentence else "",
                position,
                stop,
                before,
                text[position:stop],
                after,
                "; ".join(found),
            ]
            if position in on_boundary and stop in on_boundary:
                hits.append(row)
            else:  # the whole word(s) the occurrence is part of
                first = boundaries[bisect_right(boundaries, position) - 1]
                last = boundaries[bisect_left(boundaries, stop)]
                inside.append([*row, text[first:last]])
            position = text.find(word, position + 1)
    return Kwic(
        word,
        pd.DataFrame(hits, columns=KWIC_COLUMNS),
        pd.DataFrame(inside, columns=[*KWIC_COLUMNS, "in word"]),
    )
