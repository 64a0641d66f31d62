"""Inter-coder agreement: how far coders who coded the same transcripts agree, per code and
overall, and the units where they disagree, with their text, for the coders to discuss.

The unit is the sentence (or the speaker turn). A unit counts as coded with a code by a coder
when any of that coder's codings with the code, or with one of its descendants, overlaps the
unit by a character or more; each code then gives every (unit, coder) a present/absent value.
A coder's values are known for the transcripts that coder has coded (holds a coding in) and
missing elsewhere, so coders who split a set of transcripts with some overlap are compared on
the overlap; ``transcripts`` names the transcripts outright, for all coders. Units with values
from fewer than two coders do not enter any figure.

Figures, per code and overall (all unit × code values of the table pooled):

- percent agreement: the share (0–1) of units on which every coder with a value agrees;
- Cohen's kappa, for two coders: ``(p_o - p_e) / (1 - p_e)``, equal to scikit-learn's
  ``cohen_kappa_score``;
- Krippendorff's alpha, nominal, for two or more coders with missing values allowed,
  ``1 - D_o / D_e`` from the coincidence matrix, equal to the ``krippendorff`` package's.

A figure that chance agreement leaves undefined (everyone always agrees on absence, say) is
NaN, shown blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from .errors import ProjectError

if TYPE_CHECKING:
    import pandas as pd

    from .store import Project

OVERALL = "(overall)"


def percent_agreement(data: np.ndarray) -> float:
    """The share of units (columns of a coders × units array, NaN = missing) with two or
    more values on which all values are equal; NaN when no unit has two."""
    data = np.asarray(data, dtype=float)
    present = ~np.isnan(data)
    pairable = present.sum(axis=0) >= 2
    if not pairable.any():
        return float("nan")
    block = data[:, pairable]
    low = np.nanmin(block, axis=0)
    high = np.nanmax(block, axis=0)
    return float(np.mean(low == high))


def cohen_kappa(first: Sequence[object], second: Sequence[object]) -> float:
    """Cohen's kappa of two coders' labels for the same units (no missing values)."""
    a, b = np.asarray(first), np.asarray(second)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("cohen_kappa needs two label sequences of the same length")
    if not len(a):
        return float("nan")
    labels, index = _labels(np.concatenate([a, b]))
    confusion = np.bincount(index[:len(a)] * len(labels) + index[len(a):],
                            minlength=len(labels) ** 2).reshape(len(labels), len(labels))
    n = len(a)
    observed = np.trace(confusion) / n
    chance = float(confusion.sum(axis=1) @ confusion.sum(axis=0)) / n**2
    if chance >= 1:
        return float("nan")
    return float((observed - chance) / (1 - chance))


def krippendorff_alpha(data: np.ndarray) -> float:
    """Krippendorff's alpha for nominal values: ``data`` is coders × units, NaN = missing.
    Units with fewer than two values are left out; NaN when fewer than two distinct values
    remain (alpha is undefined without expected disagreement)."""
    data = np.asarray(data, dtype=float)
    values, _ = _labels(data[~np.isnan(data)])
    if len(values) < 2:
        return float("nan")
    counts = (data[None, :, :] == values[:, None, None]).sum(axis=1)  # values × units
    m = counts.sum(axis=0)
    pairable = m >= 2
    counts, m = counts[:, pairable], m[pairable]
    n_c = counts.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        return float("nan")
    observed = ((m**2 - (counts**2).sum(axis=0)) / (m - 1)).sum()  # Σ over c ≠ k of o_ck
    expected = (n**2 - (n_c**2).sum()) / (n - 1)  # Σ over c ≠ k of n_c n_k / (n - 1)
    if expected == 0:
        return float("nan")
    return float(1 - observed / expected)


def _labels(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values, sorted, and the index of each value among them. Sorting once
    is several times faster than ``np.unique`` (which hashes) on millions of 0/1 values."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.concatenate([[True], ordered[1:] != ordered[:-1]]) if len(ordered) else \
        np.zeros(0, dtype=bool)
    index = np.empty(len(values), dtype=np.int64)
    index[order] = np.cumsum(new) - 1
    return ordered[new], index


@dataclass(slots=True)
class Agreement:
    """Agreement of ``coders`` on ``unit``s of ``transcripts``.

    ``table``: per code used by any of them (parents rolled up, codebook order) and a last
    ``(overall)`` row: ``code_id``, ``code``, ``percent_agreement`` (0–1), ``cohen_kappa``
    (two coders only), ``krippendorff_alpha``, ``n_units`` (units with two or more coders'
    values), then ``units (CODER)``: the units each coder coded with the code.
    ``disagreements``: one row per unit and code on which the coders differ: ``transcript``,
    ``unit`` (its number, as ``qualcode show`` lists them), ``speaker``, ``start``, ``end``,
    ``code_id``, ``code``, ``coded_by``, ``not_coded_by`` (comma-separated coders), ``text``.
    """

    coders: list[str]
    unit: str
    transcripts: list[str]
    table: pd.DataFrame
    disagreements: pd.DataFrame

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [("agreement", self.table), ("disagreements", self.disagreements)]


def agreement(project: Project, coders: Sequence[str], *, unit: str = "sentence",
              transcripts: Sequence[str] | None = None,
              status: str = "confirmed") -> Agreement:
    """Percent agreement, Cohen's kappa and Krippendorff's alpha of ``coders`` per code and
    overall, and the units where they disagree (see the module for the definitions)."""
    import pandas as pd

    from .analysis import segments, touched_units, units

    coders = list(dict.fromkeys(coders))
    if len(coders) < 2:
        raise ProjectError("agreement needs two or more different coders: --coders A B")
    data = segments(project, coders=coders, status=status)
    frame = data.frame
    names = data.transcripts
    if transcripts is not None:
        chosen = {project.resolve(t) for t in transcripts}
        has_coded = np.array([[name in chosen for name in names] for _ in coders])
    else:
        pairs = frame[["coder", "transcript"]].drop_duplicates()
        coded = set(zip(pairs["coder"].astype(str), pairs["transcript"].astype(str),
                        strict=True))
        has_coded = np.array([[(c, name) in coded for name in names] for c in coders])
    compared = has_coded.sum(axis=0) >= 2
    if not compared.any():
        raise ProjectError(
            f"{', '.join(coders)} have coded no transcript in common"
            + ("" if transcripts is not None else
               " (a coder takes part in a transcript once they hold a coding in it)"))
    all_units = units(project, unit)
    t_index = all_units["transcript"].cat.codes.to_numpy()
    all_units = all_units[compared[t_index]].reset_index(drop=True)
    t_index = all_units["transcript"].cat.codes.to_numpy()
    available = has_coded[:, t_index]  # coders × units
    n_units = len(all_units)

    used = [info for info in data.codes if (frame["code"] == info.id).any()]
    code_row = {info.id: i for i, info in enumerate(used)}
    coder_row = {c: i for i, c in enumerate(coders)}
    span_rows, unit_rows = touched_units(frame, all_units)
    present = np.zeros((len(used), len(coders), n_units), dtype=bool)
    if len(span_rows):
        code_of = np.array([code_row.get(i, -1) for i in frame["code"].cat.categories])
        coder_of = np.array([coder_row.get(c, -1) for c in frame["coder"].cat.categories])
        present[code_of[frame["code"].cat.codes.to_numpy()[span_rows]],
                coder_of[frame["coder"].cat.codes.to_numpy()[span_rows]], unit_rows] = True
    present &= available[None, :, :]
    values = np.where(available[None, :, :], present.astype(float), np.nan)
    pairable = available.sum(axis=0) >= 2

    def figures(block: np.ndarray) -> tuple[float, float, float]:
        kappa = (cohen_kappa(block[0], block[1]) if len(coders) == 2 else float("nan"))
        return percent_agreement(block), kappa, krippendorff_alpha(block)

    rows = []
    for info, code_values, code_present in zip(used, values, present, strict=True):
        # With two coders, the pairable units are those both coded: kappa sees no gaps.
        block = code_values[:, pairable]
        rows.append([info.id, info.label, *figures(block), int(pairable.sum()),
                     *code_present.sum(axis=1).tolist()])
    pooled = values[:, :, pairable].transpose(1, 0, 2).reshape(len(coders), -1)
    rows.append([OVERALL, "", *(figures(pooled) if used else (np.nan,) * 3),
                 int(pairable.sum()), *present.any(axis=0).sum(axis=1).tolist()])
    table = pd.DataFrame(rows, columns=["code_id", "code", "percent_agreement", "cohen_kappa",
                                        "krippendorff_alpha", "n_units",
                                        *(f"units ({c})" for c in coders)])
    disagreements = _disagreements(project, used, coders, all_units, present, available,
                                   pairable)
    return Agreement(coders, unit, [n for n, c in zip(names, compared, strict=True) if c],
                     table, disagreements)


def _disagreements(project: Project, used: list, coders: list[str], unit_frame: pd.DataFrame,
                   present: np.ndarray, available: np.ndarray, pairable: np.ndarray
                   ) -> pd.DataFrame:
    import pandas as pd

    yes = (present & available[None]).sum(axis=1)  # codes × units
    m = available.sum(axis=0)
    differ = (yes > 0) & (yes < m[None, :]) & pairable[None, :]
    code_rows, unit_rows = np.nonzero(differ)
    order = np.lexsort((code_rows, unit_rows))
    code_rows, unit_rows = code_rows[order], unit_rows[order]
    # Who coded and who did not, as one bit per coder: each pattern is written out once.
    bits = 1 << np.arange(len(coders))
    coded = ((present[code_rows, :, unit_rows] & available[:, unit_rows].T) * bits).sum(axis=1)
    seen = (available[:, unit_rows].T * bits).sum(axis=1)

    @cache
    def names(mask: int) -> str:
        return ", ".join(c for i, c in enumerate(coders) if mask >> i & 1)

    transcript = unit_frame["transcript"].to_numpy()[unit_rows]
    start = unit_frame["start"].to_numpy()[unit_rows]
    end = unit_frame["end"].to_numpy()[unit_rows]
    texts = project.transcript_texts(sorted({str(t) for t in transcript}))
    return pd.DataFrame({
        "transcript": transcript.astype(str) if len(transcript) else [],
        "unit": unit_frame["number"].to_numpy()[unit_rows],
        "speaker": unit_frame["speaker"].to_numpy()[unit_rows].astype(str)
        if len(unit_rows) else [],
        "start": start, "end": end,
        "code_id": [used[k].id for k in code_rows.tolist()],
        "code": [used[k].label for k in code_rows.tolist()],
        "coded_by": [names(c) for c in coded.tolist()],
        "not_coded_by": [names(s & ~c) for s, c in zip(seen.tolist(), coded.tolist(),
                                                        strict=True)],
        "text": [texts[t][a:b] for t, a, b in zip(transcript.astype(str).tolist(), start.tolist(),
                                                  end.tolist(), strict=True)],
    })
