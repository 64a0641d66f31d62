"""Learned suggestions: a classifier per code, trained on a project's confirmed codings.

Units (sentences, or speaker turns) are labelled by the confirmed codings that touch them.
The units of transcripts with at least one confirmed coding are the training set: a unit
without a coding of a code is an example against it. Each code with at least
``min_examples`` coded units gets a logistic regression (scikit-learn, class weights balanced)
over TF-IDF features of the unit's words (the project's stored jieba segmentation) and its
character 1- to 3-grams, all in simplified script (OpenCC), so traditional and simplified
transcripts teach each other. The classifiers then score every unit that has no confirmed
coding at all, and the best (``score >= min_score``, at most ``limit`` per code) are stored as
suggestions with their score (rule ``learned:0.83``).

The TF-IDF vocabulary and weights are fitted once on the text of every unit, coded or not:
they use no labels, so cross-validation stays honest while each fold only refits the
classifier. :func:`evaluate` reports cross-validated precision, recall and F1 per code, so a
researcher sees which codes the machine can help with before asking it to.

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

__all__ = ["EVALUATION_COLUMNS", "MIN_EXAMPLES", "Units", "evaluate", "load_units", "suggest"]

MIN_EXAMPLES = 10  # coded units a code needs before a classifier is trained for it
EVALUATION_COLUMNS = ["code_id", "code", "examples", "units", "precision", "recall", "f1", "note"]


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
            cuts = [start, *ends[bisect_right(ends, start):bisect_left(ends, end)], end]
            words = []
            for a, b in pairwise(cuts):
                word = (simplified[a - start:b - start] if offsets is None
                        else to_simplified(text[a:b], CONVERSION)[0])
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


def _features(units: Units) -> Any:
    """TF-IDF over words and character 1-3-grams of every unit, side by side (sparse)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2,
                            max_features=200_000)
    return hstack([words.fit_transform(units.words), chars.fit_transform(units.texts)]).tocsr()


def _identity(words: list[str]) -> list[str]:
    return words


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    # liblinear: deterministic, and quick on sparse features of a few thousand units.
    return LogisticRegression(solver="liblinear", class_weight="balanced", C=4.0,
                              max_iter=1000)


def _labels(project: Project, units: Units, codes: Sequence[str] | None
            ) -> list[tuple[str, str, list[int]]]:
    """``(code_id, label, labels over the labelled units)`` of each chosen code."""
    codebook = project.codebook()
    chosen = [code for code, _, _ in codebook.walk()]  # codebook order
    if codes is not None:
        from .codebook import find_code

        wanted = {find_code(codebook, code_id).id for code_id in codes}
        chosen = [code for code in chosen if code.id in wanted]
    labelled = [i for i, flag in enumerate(units.labelled) if flag]
    return [(code.id, code.label, [int(code.id in units.codes[i]) for i in labelled])
            for code in chosen]


def evaluate(project: Project, codes: Sequence[str] | None = None, *, unit: str = "sentence",
             min_examples: int = MIN_EXAMPLES, folds: int = 5) -> pd.DataFrame:
    """Cross-validated precision, recall and F1 of each code's classifier on the confirmed
    codings (stratified ``folds``-fold, at most as many folds as the code has examples).

    One row per code in codebook order, with columns :data:`EVALUATION_COLUMNS`: ``examples``
    is how many units are coded with it, ``units`` how many units were used; a code with too
    few examples (or too few units without it) has empty figures and a ``note`` saying why.
    Raises :class:`~qualcode.errors.QualcodeError` when the project has no confirmed coding."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    units = load_units(project, unit)
    if not any(units.labelled):
        raise QualcodeError("no confirmed codings to learn from: code some sentences first "
                            "(or accept suggestions), then evaluate again")
    matrix = _features(units)
    labelled = np.flatnonzero(units.labelled)
    rows = []
    for code_id, label, targets in _labels(project, units, codes):
        y = np.asarray(targets)
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        row: dict[str, Any] = {"code_id": code_id, "code": label, "examples": positives,
                               "units": len(y), "precision": math.nan, "recall": math.nan,
                               "f1": math.nan, "note": ""}
        if positives < max(min_examples, 2):
            row["note"] = f"needs {max(min_examples, 2)} coded units, has {positives}"
        elif negatives < 2:
            row["note"] = "coded on (nearly) every unit: nothing to tell apart"
        else:
            splits = StratifiedKFold(n_splits=max(2, min(folds, positives, negatives)),
                                     shuffle=True, random_state=0)
            predicted = cross_val_predict(_classifier(), matrix[labelled], y, cv=splits)
            precision, recall, f1, _ = precision_recall_fscore_support(
                y, predicted, average="binary", zero_division=0)
            row.update(precision=round(float(precision), 3), recall=round(float(recall), 3),
                       f1=round(float(f1), 3))
        rows.append(row)
    return pd.DataFrame(rows, columns=EVALUATION_COLUMNS)


def suggest(project: Project, codes: Sequence[str] | None = None, *, unit: str = "sentence",
            min_examples: int = MIN_EXAMPLES, min_score: float = 0.5, limit: int | None = 50,
            dry_run: bool = False, coder: str = AUTO_CODER,
            speaker_roles: Sequence[str] | None = None) -> AutocodeResult:
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
    wanted = ({(name, start, end) for name, spans in allowed.items() for start, end in spans}
              if allowed is not None else None)
    candidates = np.asarray([i for i, codes_here in enumerate(units.codes) if not codes_here
                             and (wanted is None or units.keys[i] in wanted)])
    trainable = [(code_id, y) for code_id, _, y in _labels(project, units, codes)
                 if sum(y) >= max(min_examples, 2) and len(y) - sum(y) >= 2]
    if not trainable:
        raise QualcodeError(
            f"no code has {max(min_examples, 2)} coded units to learn from; code more "
            "sentences (or lower --min-examples), and see which codes can be learned with: "
            "qualcode autocode PROJECT --learned --evaluate")
    result = AutocodeResult(unit, [code_id for code_id, _ in trainable], dry_run=dry_run)
    if not len(candidates):
        return store_suggestions(project, result, [], coder)
    matrix = _features(units)
    found = []
    for code_id, y in trainable:
        model = _classifier().fit(matrix[labelled], np.asarray(y))
        scores = model.predict_proba(matrix[candidates])[:, 1]
        order = np.argsort(-scores, kind="stable")
        kept = [i for i in order if scores[i] >= min_score][:limit]
        for i in kept:
            name, start, end = units.keys[candidates[i]]
            score = round(float(scores[i]), 3)
            found.append((name, start, end, code_id, f"learned:{score:.2f}", score))
    found.sort(key=lambda s: (s[0], s[1], s[3]))
    return store_suggestions(project, result, found, coder)
