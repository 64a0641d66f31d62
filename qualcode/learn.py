"""Learned suggestions: a classifier per code, trained on a project's confirmed codings.

Units (sentences, or speaker turns) are labelled by the confirmed codings that touch them,
each code as coded (a parent by the codings of the parent itself), as agreement compares
codes; ``rollup=True`` labels a parent's units with its descendants' codings too. The units
of transcripts with at least one confirmed coding are the training set: a unit without a
coding of a code is an example against it. Each code with at least ``min_examples`` coded
units gets a scikit-learn :class:`~sklearn.pipeline.Pipeline`: TF-IDF features of the unit's
words (the project's stored jieba segmentation) and of its character 1- to 3-grams, all in
simplified script (OpenCC), so traditional and simplified transcripts teach each other, then
a logistic regression (class weights balanced). The classifiers then score every unit that
has no confirmed coding at all, and the best (``score >= min_score``, at most ``limit`` per
code) are stored as suggestions with their score (rule ``learned:0.83``).

:func:`evaluate` cross-validates without leakage: folds grouped by transcript
(:class:`~sklearn.model_selection.GroupKFold`), so sentences of one interview never sit on
both sides, and the TF-IDF vocabulary and weights, like the classifier, are fitted on each
training fold only. It reports precision, recall, F1 and support per code at full precision,
so a researcher sees which codes the machine can help with before asking it to.

Everything runs locally; no text leaves the machine.
"""

from __future__ import annotations

import math
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from .autocode import (
    AUTO_CODER,
    CONVERSION,
    AutocodeResult,
    coded_units,
    store_suggestions,
    to_simplified,
    unit_spans,
)
from .errors import QualcodeError

if TYPE_CHECKING:
    import pandas as pd

    from .store import Project

__all__ = [
    "EVALUATION_COLUMNS",
    "MIN_EXAMPLES",
    "Units",
    "evaluate",
    "load_units",
    "pipeline",
    "suggest",
]

MIN_EXAMPLES = 10  # coded units a code needs before a classifier is trained for it
EVALUATION_COLUMNS = [
    "code_id",
    "code",
    "support",
    "units",
    "transcripts",
    "folds",
    "precision",
    "recall",
    "f1",
    "note",
]


@dataclass(slots=True)
class Units:
    """Every unit of a project with what the classifiers need."""

    keys: list[tuple[str, int, int]]  # (transcript, start, end)
    texts: list[str]  # in simplified script
    words: list[list[str]]  # the unit's words (no whitespace or punctuation), simplified
    codes: list[set[str]]  # code ids of confirmed codings touching the unit
    labelled: list[bool]  # in a transcript with at least one confirmed coding


def load_units(project: Project, unit: str = "sentence") -> Units:
    """Every sentence (or turn) of the project with its words and confirmed codes."""
    spans = unit_spans(project, unit)
    coded = coded_units(project, spans)
    texts = project.transcript_texts()
    word_ends = project.word_ends()
    coded_transcripts = {name for name, _ in coded}
    units = Units([], [], [], [], [])
    for name, unit_list in spans.items():
        text, ends = texts[name], word_ends[name]
        for index, (start, end) in enumerate(unit_list):
            original = text[start:end]
            simplified, offsets = to_simplified(original, CONVERSION)
            cuts = [start, *ends[bisect_right(ends, start) : bisect_left(ends, end)], end]
            words = []
            for a, b in pairwise(cuts):
                word = (
                    simplified[a - start : b - start]
                    if offsets is None
                    else to_simplified(text[a:b], CONVERSION)[0]
                )
                if _is_word(word):
                    words.append(word)
            units.keys.append((name, start, end))
            units.texts.append(simplified)
            units.words.append(words)
            units.codes.append(coded.get((name, index), set()))
            units.labelled.append(name in coded_transcripts)
    return units


def _is_word(word: str) -> bool:
    """A token worth a feature: holds a letter or digit (not whitespace, not punctuation)."""
    return any(unicodedata.category(c)[0] in "LN" for c in word)


def _frame(units: Units, rows: Sequence[int]) -> pd.DataFrame:
    """The pipeline's input for the units ``rows``: their words and their text."""
    import pandas as pd

    return pd.DataFrame(
        {"words": [units.words[i] for i in rows], "text": [units.texts[i] for i in rows]}
    )


def _features() -> Any:
    """TF-IDF over a unit's words and over its character 1-3-grams, side by side (sparse)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_features=200_000
    )
    return ColumnTransformer([("words", words, "words"), ("chars", chars, "text")])


def _identity(words: list[str]) -> list[str]:
    return words


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    # liblinear: deterministic, and quick on sparse features of a few thousand units.
    return LogisticRegression(solver="liblinear", class_weight="balanced", C=4.0, max_iter=1000)


def pipeline() -> Any:
    """A fresh, unfitted model of one code: features then classifier, fitted together on
    training units only (what :func:`evaluate` cross-validates)."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", _features()), ("classifier", _classifier())])


def _labels(
    project: Project, units: Units, codes: Sequence[str] | None, rollup: bool = False
) -> list[tuple[str, str, list[int], int]]:
    """``(code_id, label, labels over the labelled units, descendants)`` of each chosen
    code; with ``rollup``, a unit coded with a descendant counts for the code too."""
    codebook = project.codebook()
    walked = list(codebook.walk())
    lineage: dict[str, tuple[str, ...]] = {}
    for code, parent, _ in walked:
        lineage[code.id] = (code.id, *(lineage[parent.id] if parent else ()))
    below = {
        code.id: {c for c, line in lineage.items() if code.id in line[1:]} for code, _, _ in walked
    }
    chosen = [code for code, _, _ in walked]  # codebook order
    if codes is not None:
        from .codebook import find_code

        wanted = {find_code(codebook, code_id).id for code_id in codes}
        chosen = [code for code in chosen if code.id in wanted]
    labelled = [i for i, flag in enumerate(units.labelled) if flag]
    found = []
    for code in chosen:
        counted = {code.id} | (below[code.id] if rollup else set())
        found.append(
            (
                code.id,
                code.label,
                [int(not counted.isdisjoint(units.codes[i])) for i in labelled],
                len(below[code.id]),
            )
        )
    return found


def evaluate(
    project: Project,
    codes: Sequence[str] | None = None,
    *,
    unit: str = "sentence",
    min_examples: int = MIN_EXAMPLES,
    folds: int = 5,
    rollup: bool = False,
) -> pd.DataFrame:
    """Cross-validated precision, recall and F1 of each code's :func:`pipeline` on the
    confirmed codings: ``folds`` folds grouped by transcript (at most one per transcript with
    codings), every fold's TF-IDF and classifier fitted on its training units only.

    One row per code in codebook order, with columns :data:`EVALUATION_COLUMNS`: ``support``
    is how many units are coded with it, ``units`` how many units were used, in how many
    ``transcripts`` and ``folds``; figures at full precision. A code with too few examples
    (or too few units without it) has empty figures and a ``note`` saying why; a parent's
    note says whether its children were rolled up (``rollup``) or not (the default, as
    agreement compares codes). Raises :class:`~qualcode.errors.QualcodeError` when the
    project has no confirmed coding, or has them in one transcript only."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.model_selection import GroupKFold

    units = load_units(project, unit)
    if not any(units.labelled):
        raise QualcodeError(
            "no confirmed codings to learn from: code some sentences first "
            "(or accept suggestions), then evaluate again"
        )
    labelled = np.flatnonzero(units.labelled)
    groups = np.asarray([units.keys[i][0] for i in labelled], dtype=object)
    n_groups = len(set(groups.tolist()))
    if n_groups < 2:
        raise QualcodeError(
            "the confirmed codings are all in one transcript: folds are grouped "
            "by transcript, so code in two or more before evaluating"
        )
    splits = list(GroupKFold(n_splits=min(folds, n_groups)).split(labelled, groups=groups))
    frame = _frame(units, labelled)
    chosen = _labels(project, units, codes, rollup)
    # The features of a fold depend on its training text, not on any code: fit them once
    # per fold, then each code's classifier on them (the same as a fresh pipeline per code).
    fitted = []
    for train, test in splits:
        features = _features().fit(frame.iloc[train])
        fitted.append((features.transform(frame.iloc[train]), features.transform(frame.iloc[test])))
    rows = []
    for code_id, label, targets, n_below in chosen:
        y = np.asarray(targets)
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        row: dict[str, Any] = {
            "code_id": code_id,
            "code": label,
            "support": positives,
            "units": len(y),
            "transcripts": n_groups,
            "folds": len(splits),
            "precision": math.nan,
            "recall": math.nan,
            "f1": math.nan,
            "note": "",
        }
        notes = []
        if n_below:
            notes.append(
                f"with its {n_below} descendant codes rolled up"
                if rollup
                else f"as coded, without its {n_below} descendant codes"
            )
        if positives < max(min_examples, 2):
            notes.append(f"needs {max(min_examples, 2)} coded units, has {positives}")
        elif negatives < 2:
            notes.append("coded on (nearly) every unit: nothing to tell apart")
        else:
            predicted = np.zeros(len(y), dtype=int)
            one_class = 0
            for (train, test), (x_train, x_test) in zip(splits, fitted, strict=True):
                if y[train].min() == y[train].max():
                    # A training fold without the code (it lives in the test transcripts
                    # only): nothing learned, the fold predicts its one class.
                    predicted[test] = y[train][0]
                    one_class += 1
                else:
                    predicted[test] = _classifier().fit(x_train, y[train]).predict(x_test)
            if one_class:
                notes.append(f"{one_class} training folds held no unit of the code")
            precision, recall, f1, _ = precision_recall_fscore_support(
                y, predicted, average="binary", zero_division=0
            )
            row.update(precision=float(precision), recall=float(recall), f1=float(f1))
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows, columns=EVALUATION_COLUMNS)


def suggest(
    project: Project,
    codes: Sequence[str] | None = None,
    *,
    unit: str = "sentence",
    min_examples: int = MIN_EXAMPLES,
    min_score: float = 0.5,
    limit: int | None = 50,
    dry_run: bool = False,
    coder: str = AUTO_CODER,
    speaker_roles: Sequence[str] | None = None,
) -> AutocodeResult:
    """Train a classifier for each code with at least ``min_examples`` coded units, score
    every unit without a confirmed coding (of speakers with ``speaker_roles`` only, when
    given: the classifiers still learn from every coded unit), and store the best as ``coder``'s suggestions:
    those scoring at least ``min_score``, at most ``limit`` per code (all when None), with
    their score and the rule ``learned:SCORE``. As :func:`qualcode.autocode.autocode`, a
    unit and code already suggested, confirmed or rejected is not stored again, and
    ``dry_run`` writes nothing. ``matched`` counts the units that scored high enough.
    Raises :class:`~qualcode.errors.QualcodeError` when no code has enough examples."""
    import numpy as np

    units = load_units(project, unit)
    labelled = np.flatnonzero(units.labelled)
    allowed = unit_spans(project, unit, speaker_roles) if speaker_roles else None
    wanted = (
        {(name, start, end) for name, spans in allowed.items() for start, end in spans}
        if allowed is not None
        else None
    )
    candidates = np.asarray(
        [
            i
            for i, codes_here in enumerate(units.codes)
            if not codes_here and (wanted is None or units.keys[i] in wanted)
        ]
    )
    trainable = [
        (code_id, y)
        for code_id, _, y, _ in _labels(project, units, codes)
        if sum(y) >= max(min_examples, 2) and len(y) - sum(y) >= 2
    ]
    if not trainable:
        raise QualcodeError(
            f"no code has {max(min_examples, 2)} coded units to learn from; code more "
            "sentences (or lower --min-examples), and see which codes can be learned with: "
            "qualcode autocode PROJECT --learned --evaluate"
        )
    result = AutocodeResult(unit, [code_id for code_id, _ in trainable], dry_run=dry_run)
    if not len(candidates):
        return store_suggestions(project, result, [], coder)
    # The features are fitted on the training units, as in evaluate(); the same for
    # every code, so once.
    features = _features().fit(_frame(units, labelled))
    x_train = features.transform(_frame(units, labelled))
    x_candidates = features.transform(_frame(units, candidates))
    found = []
    for code_id, y in trainable:
        model = _classifier().fit(x_train, np.asarray(y))
        scores = model.predict_proba(x_candidates)[:, 1]
        order = np.argsort(-scores, kind="stable")
        kept = [i for i in order if scores[i] >= min_score][:limit]
        for i in kept:
            name, start, end = units.keys[candidates[i]]
            score = round(float(scores[i]), 3)
            found.append((name, start, end, code_id, f"learned:{score:.2f}", score))
    found.sort(key=lambda s: (s[0], s[1], s[3]))
    return store_suggestions(project, result, found, coder)
