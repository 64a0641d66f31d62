"""Inter-coder agreement: how far coders who coded the same transcripts agree, per code and
overall, and the units where they disagree, with their text, for the coders to discuss.

The unit is the sentence (or the speaker turn). A unit counts as coded with a code by a coder
when any of that coder's codings with the code overlaps the unit by a character or more. Each
code is compared as coded: a parent only with the codings of the parent itself, as NVivo's
coding comparison does unless told to aggregate; ``rollup=True`` (``--rollup``) compares a
parent together with all its descendants.

Each code gives every (unit, coder) a value, present or absent, or none (missing data): a
coder's values are known in the transcripts that coder marked reviewed
(:meth:`qualcode.store.Project.set_reviewed`: read through, so no coding there is an absence)
or holds a coding in, and missing elsewhere; ``transcripts`` names the transcripts outright,
for all coders. Units with values from fewer than two coders do not enter any figure.

Figures, per code:

- percent agreement: the share (0–1) of units on which every coder with a value agrees;
- Cohen's kappa, for two coders: ``(p_o - p_e) / (1 - p_e)``, equal to scikit-learn's
  ``cohen_kappa_score``;
- Fleiss' kappa, for three or more coders, on the units every one of them has a value for,
  equal to statsmodels' ``fleiss_kappa``;
- Krippendorff's alpha, nominal, for two or more coders with missing values allowed,
  ``1 - D_o / D_e`` from the coincidence matrix, equal to the ``krippendorff`` package's.

The overall row pools every decision once: one value per unit, coder and code as coded
(whether or not the table rolls parents up), so a coding of a child never counts again as its
parent's; its ``n_units`` is the number of unit × code items pooled. A figure that cannot be
defined is NaN (shown blank) with the reason in the ``note`` column.
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

COLUMNS = [
    "code_id",
    "code",
    "percent_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "n_units",
    "n_coders",
    "note",
]
"""The columns of the agreement table, in order (the CSV's header)."""


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
    confusion = np.bincount(
        index[: len(a)] * len(labels) + index[len(a) :], minlength=len(labels) ** 2
    ).reshape(len(labels), len(labels))
    n = len(a)
    observed = np.trace(confusion) / n
    chance = float(confusion.sum(axis=1) @ confusion.sum(axis=0)) / n**2
    if chance >= 1:
        return float("nan")
    return float((observed - chance) / (1 - chance))


def fleiss_kappa(data: np.ndarray) -> float:
    """Fleiss' kappa of a coders × units array without missing values (every coder rated
    every unit): ``(P̄ - P̄_e) / (1 - P̄_e)``; NaN without units or when every value is the
    same (no chance disagreement)."""
    data = np.asarray(data, dtype=float)
    n, units = data.shape
    if n < 2 or not units:
        return float("nan")
    values, index = _labels(data.ravel())
    counts = np.zeros((units, len(values)))
    np.add.at(counts, (np.tile(np.arange(units), n), index), 1)  # units × categories
    share = counts.sum(axis=0) / (units * n)
    observed = float((((counts**2).sum(axis=1) - n) / (n * (n - 1))).mean())
    chance = float((share**2).sum())
    if chance >= 1:
        return float("nan")
    return (observed - chance) / (1 - chance)


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
    new = (
        np.concatenate([[True], ordered[1:] != ordered[:-1]])
        if len(ordered)
        else np.zeros(0, dtype=bool)
    )
    index = np.empty(len(values), dtype=np.int64)
    index[order] = np.cumsum(new) - 1
    return ordered[new], index


@dataclass(slots=True)
class Agreement:
    """Agreement of ``coders`` on ``unit``s of ``transcripts``.

    ``table``: one row per code (codebook order; those coded by any of them, and with
    ``rollup`` their ancestors) and a last ``(overall)`` row, with the columns
    :data:`COLUMNS`: ``percent_agreement`` (0–1), ``cohen_kappa`` (two coders),
    ``fleiss_kappa`` (three or more), ``krippendorff_alpha``, ``n_units`` (units with two or
    more coders' values; overall: unit × code items pooled), ``n_coders`` (coders with a
    value in them), ``note`` (why a figure is empty, how a parent was compared, and the
    overall row's definition).
    ``disagreements``: one row per unit and code on which the coders differ: ``transcript``,
    ``unit`` (its number, as ``qualcode show`` lists them), ``speaker``, ``start``, ``end``,
    ``code_id``, ``code``, ``coded_by``, ``not_coded_by`` (comma-separated coders), ``text``.
    ``coded_units``: per code, the compared units each coder coded with it (a column each).
    ``coverage``: per transcript, each coder's standing in it: ``reviewed``, ``coded`` (holds
    a coding, not marked reviewed) or empty (missing data), and whether it was ``compared``.
    """

    coders: list[str]
    unit: str
    transcripts: list[str]
    table: pd.DataFrame
    disagreements: pd.DataFrame
    coded_units: pd.DataFrame
    coverage: pd.DataFrame
    rollup: bool = False

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("agreement", self.table),
            ("disagreements", self.disagreements),
            ("coded units", self.coded_units),
            ("coverage", self.coverage),
        ]

    @property
    def definition(self) -> str:
        """The overall row's definition, as the note under the table says it."""
        return str(self.table["note"].iloc[-1])


def agreement(
    project: Project,
    coders: Sequence[str],
    *,
    unit: str = "sentence",
    transcripts: Sequence[str] | None = None,
    status: str = "confirmed",
    rollup: bool = False,
) -> Agreement:
    """Percent agreement, Cohen's kappa, Fleiss' kappa and Krippendorff's alpha of
    ``coders`` per code and overall, and the units where they disagree (see the module for
    the definitions). ``rollup``: compare each parent with its descendants folded in."""
    import pandas as pd

    from .analysis import segments, touched_units, units

    coders = list(dict.fromkeys(coders))
    if len(coders) < 2:
        raise ProjectError("agreement needs two or more different coders: --coders A B")
    data = segments(project, coders=coders, status=status, rollup=False)
    frame = data.frame
    names = data.transcripts
    pairs = frame[["coder", "transcript"]].drop_duplicates()
    coded = set(zip(pairs["coder"].astype(str), pairs["transcript"].astype(str), strict=True))
    reviewed = project.reviewed()
    if transcripts is not None:
        chosen = {project.resolve(t) for t in transcripts}
        available_in = np.array([[name in chosen for name in names] for _ in coders])
    else:
        available_in = np.array(
            [[(c, name) in coded or (c, name) in reviewed for name in names] for c in coders]
        )
    compared = (available_in.sum(axis=0) >= 2) if len(names) else np.zeros(0, dtype=bool)
    if not compared.any():
        raise ProjectError(
            f"{', '.join(coders)} have no transcript in common"
            + (
                ""
                if transcripts is not None
                else " (a coder takes part in a transcript once they mark it reviewed, with: "
                "qualcode review PROJECT TRANSCRIPT --coder NAME, or hold a coding in it)"
            )
        )
    all_units = units(project, unit)
    t_index = all_units["transcript"].cat.codes.to_numpy()
    all_units = all_units[compared[t_index]].reset_index(drop=True)
    t_index = all_units["transcript"].cat.codes.to_numpy()
    available = available_in[:, t_index]  # coders × units
    n_units = len(all_units)

    # Presence of each code as coded (codes × coders × units).
    direct = [info for info in data.codes if (frame["code"] == info.id).any()]
    code_row = {info.id: i for i, info in enumerate(direct)}
    coder_row = {c: i for i, c in enumerate(coders)}
    span_rows, unit_rows = touched_units(frame, all_units)
    present_direct = np.zeros((len(direct), len(coders), n_units), dtype=bool)
    if len(span_rows):
        code_of = np.array([code_row.get(i, -1) for i in frame["code"].cat.categories])
        coder_of = np.array([coder_row.get(c, -1) for c in frame["coder"].cat.categories])
        present_direct[
            code_of[frame["code"].cat.codes.to_numpy()[span_rows]],
            coder_of[frame["coder"].cat.codes.to_numpy()[span_rows]],
            unit_rows,
        ] = True
    present_direct &= available[None, :, :]
    descendants = {
        info.id: [d.id for d in data.codes if info.id in d.lineage[1:]] for info in data.codes
    }
    if rollup:
        # A parent is present where it or any descendant is: rows for every code coded and
        # every ancestor of one.
        wanted = {a for info in direct for a in info.lineage}
        used = [info for info in data.codes if info.id in wanted]
        present = np.zeros((len(used), len(coders), n_units), dtype=bool)
        for i, info in enumerate(used):
            for code_id in (info.id, *descendants[info.id]):
                if code_id in code_row:
                    present[i] |= present_direct[code_row[code_id]]
    else:
        used, present = direct, present_direct
    pairable = available.sum(axis=0) >= 2
    complete = available.all(axis=0)

    rows = []
    for info, code_present in zip(used, present, strict=True):
        values = np.where(available, code_present.astype(float), np.nan)
        figures, notes = _figures(values, pairable, complete)
        n_children = len(descendants[info.id])
        if n_children:
            notes.insert(
                0,
                f"with its {n_children} descendant codes rolled up"
                if rollup
                else f"as coded, without its {n_children} descendant codes",
            )
        rows.append(
            [
                info.id,
                info.label,
                *figures,
                int(pairable.sum()),
                int(available[:, pairable].any(axis=1).sum()),
                "; ".join(notes),
            ]
        )
    # Overall: every decision (unit, coder, code as coded) once, never a child again as
    # its parent.
    pooled = np.where(available[None], present_direct.astype(float), np.nan)[:, :, pairable]
    pooled = pooled.transpose(1, 0, 2).reshape(len(coders), -1)
    figures, notes = _figures(
        pooled,
        np.ones(pooled.shape[1], dtype=bool),
        ~np.isnan(pooled).any(axis=0),
        "unit × code items",
    )
    items = len(direct) * int(pairable.sum())
    definition = (
        f"overall: every decision counted once, {len(direct)} codes as coded × "
        f"{int(pairable.sum())} units = {items} unit × code items pooled per coder"
        + (" (parents as coded, not rolled up, so no coding counts twice)" if rollup else "")
    )
    rows.append(
        [
            OVERALL,
            "",
            *(figures if direct else (np.nan,) * 4),
            items,
            int(available[:, pairable].any(axis=1).sum()),
            "; ".join([definition, *(notes if direct else [])]),
        ]
    )
    table = pd.DataFrame(rows, columns=COLUMNS)
    coded_units = pd.DataFrame(
        [
            [info.id, info.label, *code_present.sum(axis=1).tolist()]
            for info, code_present in zip(used, present, strict=True)
        ],
        columns=["code_id", "code", *coders],
    )
    coverage = pd.DataFrame(
        [
            [
                name,
                *(
                    "reviewed" if (c, name) in reviewed else "coded" if (c, name) in coded else ""
                    for c in coders
                ),
                "yes" if compared[i] else "no",
            ]
            for i, name in enumerate(names)
        ],
        columns=["transcript", *coders, "compared"],
    )
    disagreements = _disagreements(project, used, coders, all_units, present, available, pairable)
    return Agreement(
        coders,
        unit,
        [n for n, c in zip(names, compared, strict=True) if c],
        table,
        disagreements,
        coded_units,
        coverage,
        rollup,
    )


def _figures(
    values: np.ndarray, pairable: np.ndarray, complete: np.ndarray, units: str = "units"
) -> tuple[list[float], list[str]]:
    """Percent agreement, Cohen's kappa, Fleiss' kappa and Krippendorff's alpha of a coders ×
    units array (NaN = missing), and why any of them is undefined (``units``: what the
    columns are, for the notes)."""
    n_coders = values.shape[0]
    block = values[:, pairable]
    notes = []
    if not block.shape[1]:
        return [np.nan] * 4, [f"no {units[:-1]} has values from two coders"]
    percent = percent_agreement(block)
    constant = len(np.unique(block[~np.isnan(block)])) < 2
    if n_coders == 2:
        kappa = cohen_kappa(block[0], block[1])
        fleiss = np.nan
        notes.append("Fleiss' kappa: three or more coders")
    else:
        kappa = np.nan
        notes.append("Cohen's kappa: two coders only")
        whole = values[:, complete]
        fleiss = fleiss_kappa(whole) if whole.shape[1] else np.nan
        if not whole.shape[1]:
            notes.append(f"Fleiss' kappa: no {units[:-1]} has values from all {n_coders} coders")
        elif whole.shape[1] < block.shape[1]:
            notes.append(
                f"Fleiss' kappa on the {whole.shape[1]} {units} all {n_coders} "
                "coders have values for"
            )
    alpha = krippendorff_alpha(block)
    if constant:
        notes.append(
            "kappa and alpha undefined: every value is the same (no chance "
            "disagreement to compare with)"
        )
    return [percent, kappa, fleiss, alpha], notes


def _disagreements(
    project: Project,
    used: list,
    coders: list[str],
    unit_frame: pd.DataFrame,
    present: np.ndarray,
    available: np.ndarray,
    pairable: np.ndarray,
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
    return pd.DataFrame(
        {
            "transcript": transcript.astype(str) if len(transcript) else [],
            "unit": unit_frame["number"].to_numpy()[unit_rows],
            "speaker": unit_frame["speaker"].to_numpy()[unit_rows].astype(str)
            if len(unit_rows)
            else [],
            "start": start,
            "end": end,
            "code_id": [used[k].id for k in code_rows.tolist()],
            "code": [used[k].label for k in code_rows.tolist()],
            "coded_by": [names(c) for c in coded.tolist()],
            "not_coded_by": [
                names(s & ~c) for s, c in zip(seen.tolist(), coded.tolist(), strict=True)
            ],
            "text": [
                texts[t][a:b]
                for t, a, b in zip(
                    transcript.astype(str).tolist(), start.tolist(), end.tolist(), strict=True
                )
            ],
        }
    )
