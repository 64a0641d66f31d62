"""Charts of report tables for a thesis: PNG (300 dpi, for print), SVG or PDF, with Chinese
labels in a real Chinese font.

Each table report has its chart: code frequencies as horizontal bars with children under
their parents, a cross-tab as stacked bars of row percentages, the code × transcript matrix
and code co-occurrence as heatmaps, agreement as bars per code, word frequencies as bars.

The font: ``QUALCODE_CHART_FONT`` (a font's name or a .ttf/.otf/.ttc file) when set, else
Noto Sans SC from the ``pylopdf-fonts-zh-cn`` package qualcode depends on (the same font on
every machine, SIL Open Font License), else the first Chinese font found on the machine
(:data:`MACHINE_FONTS`). A chart is never written with boxes in place of characters: a
character the font lacks is a :class:`~qualcode.errors.ReportError` naming it, and no
file is written.

Built on matplotlib's object API (``Figure``, no pyplot): nothing global changes, and a TUI
worker thread can draw.
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ReportError
from .fileio import atomic_write_bytes

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .store import Project

CHART_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
"""File endings a report writes a chart to, and matplotlib's name for each format."""

CHART_KINDS = ("frequencies", "crosstab", "matrix", "cooccurrence", "agreement", "words")
"""The reports that have a chart."""

DPI = 300
"""Resolution of PNG charts: what print asks for."""

WIDTH = 6.3
"""Chart width in inches: 16 cm, the text width of an A4 thesis page."""

FONT_VARIABLE = "QUALCODE_CHART_FONT"

MACHINE_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Serif CJK SC",
    "Noto Serif SC",
    "Source Han Serif SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "SimSun",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Heiti SC",
    "STHeiti",
)
"""Chinese fonts looked for on the machine, in order of preference."""

NO_FONT = (
    "no Chinese font for charts: qualcode's own font package is missing and none of "
    "{names} is installed. Reinstall qualcode with its dependencies (pip install "
    "pylopdf-fonts-zh-cn), or install a Chinese font (Debian/Ubuntu: sudo apt-get "
    "install fonts-noto-cjk; Fedora: sudo dnf install google-noto-sans-cjk-fonts), or "
    "set {variable} to a .ttf/.otf file of a Chinese font"
)

_PROBE = "编码受访者"  # characters any usable Chinese font has
_MISSING_GLYPH = re.compile(r"Glyph (\d+) .*missing from font")
_PALETTE = (
    "#4477aa",
    "#ee6677",
    "#228833",
    "#ccbb44",
    "#66ccee",
    "#aa3377",
    "#bbbbbb",
    "#332288",
    "#117733",
    "#882255",
)  # Paul Tol's colour-blind-safe sets


@dataclass(frozen=True, slots=True)
class ChartFont:
    """The Chinese font charts are drawn in: its family ``name``, its file, and where it
    was found (``setting``, ``package`` or ``machine``)."""

    name: str
    path: Path
    source: str


@dataclass(frozen=True, slots=True)
class CodeStyle:
    """How a chart draws one code: its depth in the code tree (0 for a top-level code) and
    its colour from the codebook (empty: the palette's)."""

    depth: int = 0
    color: str = ""


def code_styles(project: Project) -> dict[str, CodeStyle]:
    """Each code of the project's codebook with its depth and colour, for :func:`write_chart`."""
    return {code.id: CodeStyle(depth, code.color) for code, _, depth in project.codebook().walk()}


def chart_beside(
    project: Project,
    kind: str,
    tables: Sequence[tuple[str, pd.DataFrame]],
    table_path: str | Path,
    lang: str,
    label: str = "",
) -> Path | None:
    """The report's chart as a PNG beside the table file it was exported to (same name,
    ``.png``), as the workbench's reports screen exports both; None when the report (or
    this form of it, such as distinctive words) has no chart."""
    if kind not in CHART_KINDS or (
        kind == "words" and tables and "count" not in tables[0][1].columns
    ):
        return None
    return write_chart(
        Path(table_path).with_suffix(".png"),
        kind,
        tables,
        codes=code_styles(project),
        lang=lang,
        label=label,
    )


def chart_format(path: str | Path) -> str | None:
    """``png``, ``svg`` or ``pdf`` when ``path`` names a chart file, else None."""
    return CHART_FORMATS.get(Path(path).suffix.lower())


def _font_manager():
    from matplotlib import font_manager

    return font_manager


def _covers(path: Path, text: str = _PROBE) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(str(path)).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in text)


def _register(path: Path, source: str) -> ChartFont:
    manager = _font_manager()
    manager.fontManager.addfont(str(path))
    return ChartFont(manager.FontProperties(fname=str(path)).get_name(), path, source)


def find_font(
    choice: str | None = None, *, packaged: bool = True, machine: Sequence[str] = MACHINE_FONTS
) -> ChartFont:
    """The Chinese font charts use (see the module): ``choice`` (a font name or file; by
    default ``$QUALCODE_CHART_FONT``), else the packaged Noto Sans SC when ``packaged``,
    else the first of the ``machine`` font names installed. A :class:`ReportError` saying
    how to get one when there is none, or when the chosen font has no Chinese characters."""
    choice = os.environ.get(FONT_VARIABLE, "").strip() if choice is None else choice.strip()
    manager = _font_manager()
    if choice:
        path = Path(choice).expanduser()
        if not path.is_file():
            named = [Path(f.fname) for f in manager.fontManager.ttflist if f.name == choice]
            if not named:
                raise ReportError(
                    f"{FONT_VARIABLE}={choice}: no such font file, and no font "
                    "of that name is installed; give a .ttf/.otf file or the "
                    "name of an installed Chinese font"
                )
            path = named[0]
        if not _covers(path):
            raise ReportError(
                f"{FONT_VARIABLE}={choice}: {path.name} has no Chinese "
                "characters; choose a Chinese font (Noto Sans CJK SC, "
                "Source Han Sans, Microsoft YaHei, SimHei …)"
            )
        return _register(path, "setting")
    if packaged:
        try:
            import pylopdf_fonts_zh_cn
        except ImportError:
            pass
        else:
            path = pylopdf_fonts_zh_cn.sans_path()
            if path.is_file():
                return _register(path, "package")
    installed = {f.name: Path(f.fname) for f in reversed(manager.fontManager.ttflist)}
    for name in machine:
        if name in installed and _covers(installed[name]):
            return ChartFont(name, installed[name], "machine")
    raise ReportError(NO_FONT.format(names=", ".join(machine[:6]) + " …", variable=FONT_VARIABLE))


# --- drawing --------------------------------------------------------------------------------

_TITLES = {
    "frequencies": {"zh": "编码频次", "en": "Code frequencies"},
    "crosstab": {"zh": "编码 × {label}（行百分比）", "en": "Codes × {label} (row %)"},
    "matrix": {"zh": "编码 × 访谈记录", "en": "Codes × transcripts"},
    "cooccurrence": {"zh": "编码共现", "en": "Code co-occurrence"},
    "agreement": {"zh": "编码一致性", "en": "Inter-coder agreement"},
    "words": {"zh": "词频", "en": "Word frequencies"},
}
_AXES = {
    "segments": {"zh": "片段数", "en": "Segments"},
    "row %": {"zh": "受访者占比（%）", "en": "Share (%)"},
    "row % segments": {"zh": "片段占比（%）", "en": "Share of segments (%)"},
    "agreement": {"zh": "系数", "en": "Coefficient"},
    "count": {"zh": "频次", "en": "Count"},
    "all": {"zh": "全部", "en": "All"},
    "overall": {"zh": "（总体）", "en": "(overall)"},
}
_MEASURES = {
    "percent_agreement": {"zh": "一致率", "en": "Percent agreement"},
    "cohen_kappa": {"zh": "Cohen's κ", "en": "Cohen's κ"},
    "fleiss_kappa": {"zh": "Fleiss' κ", "en": "Fleiss' κ"},
    "krippendorff_alpha": {"zh": "Krippendorff's α", "en": "Krippendorff's α"},
}


def write_chart(
    path: str | Path,
    kind: str,
    tables: Sequence[tuple[str, pd.DataFrame]],
    *,
    codes: Mapping[str, CodeStyle] | None = None,
    lang: str = "zh",
    label: str = "",
    font: ChartFont | None = None,
) -> Path:
    """Draw the chart of a report (``kind``: one of :data:`CHART_KINDS`) from its tables (as
    :mod:`qualcode.analysis` returns them, with English column names) and write it to
    ``path`` (.png at :data:`DPI`, .svg, .pdf) atomically; returns ``path``.

    ``codes``: each code's depth and colour (children are indented under their parents);
    ``lang``: the language of titles and axes; ``label``: what a cross-tab's columns are
    (the attribute); ``font``: default :func:`find_font`. A :class:`ReportError` when the
    report has no chart, the file ending is not a chart's, or a character is missing from
    the font."""
    path = Path(path)
    fmt = chart_format(path)
    if fmt is None:
        ending = path.suffix or "a file without an ending"
        raise ReportError(f"a chart is written as .png, .svg or .pdf, not {ending}", path=path)
    if kind not in CHART_KINDS:
        raise ReportError(
            f"the {kind} report has no chart; write its table to .xlsx, .csv, .md or .tex instead",
            path=path,
        )
    lang = lang if lang in ("zh", "en") else "en"
    font = font or find_font()
    from matplotlib import rc_context

    settings = {
        "font.family": [font.name, "DejaVu Sans"],
        "svg.fonttype": "path",
        "svg.hashsalt": "qualcode",  # the same ids in every run: the same file
        "pdf.fonttype": 42 if font.path.suffix.lower() == ".ttf" else 3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 9,
        "axes.titlesize": 11,
        "axes.unicode_minus": False,
    }
    with rc_context(settings), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = _DRAW[kind](dict(tables), codes or {}, lang, label)
        out = io.BytesIO()
        figure.savefig(out, format=fmt, dpi=DPI, metadata=_metadata(fmt))
    missing = sorted(
        {chr(int(m[1])) for w in caught if (m := _MISSING_GLYPH.search(str(w.message)))}
    )
    if missing:
        raise ReportError(
            f"the font {font.name} ({font.path}) lacks {''.join(missing)}; no "
            f"chart was written. Set {FONT_VARIABLE} to a font that has them",
            path=path,
        )
    atomic_write_bytes(path, out.getvalue())
    return path


def _metadata(fmt: str) -> dict[str, str | None]:
    # The same table gives the same file: no creation date in the PDF or SVG.
    if fmt == "pdf":
        return {"Creator": "qualcode", "Producer": None, "CreationDate": None}
    if fmt == "svg":
        return {"Creator": "qualcode", "Date": None}
    return {"Software": "qualcode"}


def _figure(height: float, width: float = WIDTH) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, min(max(height, 2.4), 30)), layout="constrained")


def _code_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A report table's code rows: without ``(any code)``, the cross-tab's base and agreement's
    overall row (their ``code_id`` is empty or parenthesised)."""
    ids = frame["code_id"].astype(str)
    return frame[(ids != "") & ~ids.str.startswith("(")]


def _label(code_id: str, label: str, codes: Mapping[str, CodeStyle]) -> str:
    # Children under their parents: an ideographic space per level keeps the indent even.
    return "\u3000" * codes.get(code_id, CodeStyle()).depth + (label or code_id)


def _tree_ticks(ax: Axes, positions: Sequence[float], labels: list[str]) -> None:
    """Code labels beside the y axis, aligned left so that a child's indent shows: the
    labels are pushed out by the widest one (a Chinese character is 1 em, a Latin one
    about half; :func:`qualcode.exchange.tables.display_width` counts them 2 and 1)."""
    from matplotlib import rcParams

    from .exchange.tables import display_width

    size = rcParams["font.size"]
    widest = max((display_width(label) for label in labels), default=0)
    ax.set_yticks(positions, labels, ha="left")
    ax.tick_params(axis="y", pad=widest * size * 0.52 + 4)


def _color(code_id: str, codes: Mapping[str, CodeStyle], fallback: str) -> str:
    from matplotlib.colors import is_color_like

    color = codes.get(code_id, CodeStyle()).color
    return color if color and is_color_like(color) else fallback


def _bars(
    ax: Axes,
    labels: list[str],
    series: list[tuple[str, list[float], list[str]]],
    *,
    xlabel: str,
    percent: bool = False,
) -> None:
    """Horizontal bars, first label at the top; several series side by side (with a legend),
    each bar's value written at its end."""
    import numpy as np

    n = len(series)
    height = 0.8 / n
    positions = np.arange(len(labels))
    for i, (name, values, colors) in enumerate(series):
        offset = (i - (n - 1) / 2) * height
        bars = ax.barh(
            positions + offset, values, height=height * 0.92, color=colors, label=name or None
        )
        ax.bar_label(bars, labels=[_number(v, percent) for v in values], padding=2, fontsize=7)
    _tree_ticks(ax, positions, labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.margins(x=0.12)
    if n > 1:
        ax.legend(loc="lower right", fontsize=8, frameon=False)


def _number(value: float, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if percent:
        return f"{value:.1f}"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def _frequencies(
    tables: dict[str, pd.DataFrame], codes: Mapping[str, CodeStyle], lang: str, label: str
) -> Figure:
    frame = _code_rows(next(iter(tables.values())))
    ids = frame["code_id"].astype(str).tolist()
    labels = [_label(i, lbl, codes) for i, lbl in zip(ids, frame["code"].astype(str), strict=True)]
    columns = [c for c in frame.columns if str(c).startswith("segments")]
    series = []
    for k, column in enumerate(columns):
        values = frame[column].astype(float).tolist()
        if len(columns) == 1:
            # Parents in their own colour, children lighter in theirs (or the parent's).
            colors = [_color(i, codes, _PALETTE[0]) for i in ids]
            colors = [
                c if codes.get(i, CodeStyle()).depth == 0 else _lighter(c)
                for i, c in zip(ids, colors, strict=True)
            ]
        else:
            colors = [_PALETTE[k % len(_PALETTE)]] * len(ids)
        coder = re.fullmatch(r"segments \((.+)\)", str(column))
        series.append((coder[1] if coder else "", values, colors))
    figure = _figure(0.26 * len(ids) * max(1, len(columns) * 0.7) + 1.0)
    ax = figure.subplots()
    _bars(ax, labels, series, xlabel=_AXES["segments"][lang])
    ax.set_title(_TITLES["frequencies"][lang])
    return figure


def _lighter(color: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return tuple(0.45 * c + 0.55 for c in to_rgb(color))  # type: ignore[return-value]


def _crosstab(
    tables: dict[str, pd.DataFrame], codes: Mapping[str, CodeStyle], lang: str, label: str
) -> Figure:
    import numpy as np

    frame = tables["row %"]
    values = [c for c in frame.columns if c not in ("code_id", "code", "Total")]
    rows = _code_rows(frame)
    base = frame[frame["code_id"].astype(str) == ""]
    ids = rows["code_id"].astype(str).tolist()
    labels = [_label(i, lbl, codes) for i, lbl in zip(ids, rows["code"].astype(str), strict=True)]
    body = rows[values].astype(float).fillna(0).to_numpy()
    if len(base):  # the distribution of all respondents (or segments): the reference bar
        labels.append(_AXES["all"][lang])
        body = np.vstack([body, base[values].astype(float).fillna(0).to_numpy()[:1]])
    figure = _figure(0.26 * len(labels) + 1.5)
    ax = figure.subplots()
    positions = np.arange(len(labels))
    left = np.zeros(len(labels))
    for k, value in enumerate(values):
        color = "#cccccc" if value == "(missing)" else _PALETTE[k % len(_PALETTE)]
        name = {"zh": "（缺失）", "en": "(missing)"}[lang] if value == "(missing)" else value
        bars = ax.barh(positions, body[:, k], left=left, color=color, label=str(name), height=0.75)
        ax.bar_label(
            bars,
            labels=[f"{v:.0f}" if v >= 8 else "" for v in body[:, k]],
            label_type="center",
            fontsize=6,
            color="white",
        )
        left += body[:, k]
    _tree_ticks(ax, positions, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    counted = "respondents" if "(respondents)" in frame["code"].astype(str).tolist() else "segments"
    ax.set_xlabel(_AXES["row %" if counted == "respondents" else "row % segments"][lang])
    ax.set_title(
        _TITLES["crosstab"][lang].format(label=label or {"zh": "属性", "en": "attribute"}[lang])
    )
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08 - 0.3 / max(len(labels), 1)),
        ncols=min(len(values), 5),
        fontsize=7,
        frameon=False,
    )
    return figure


def _heatmap(
    frame: pd.DataFrame, row_labels: list[str], column_labels: list[str], title: str
) -> Figure:
    import numpy as np

    body = frame.to_numpy(dtype=float)
    n_rows, n_columns = body.shape
    width = min(max(WIDTH, 2.2 + 0.28 * n_columns), 16)
    figure = _figure(0.24 * n_rows + 1.6, width)
    ax = figure.subplots()
    image = ax.imshow(
        np.ma.masked_invalid(body), cmap="Blues", aspect="auto", interpolation="nearest"
    )
    _tree_ticks(ax, np.arange(n_rows), row_labels)
    if n_columns <= 80:
        ax.set_xticks(
            np.arange(n_columns), column_labels, rotation=60, ha="right", rotation_mode="anchor"
        )
    else:
        ax.set_xticks([])
    ax.spines[:].set_visible(False)
    if n_rows * n_columns <= 900:
        peak = np.nanmax(body) if np.isfinite(body).any() else 0
        for (i, j), value in np.ndenumerate(body):
            if np.isfinite(value) and value:
                ax.text(
                    j,
                    i,
                    _number(value),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if value > peak * 0.6 else "#222222",
                )
    figure.colorbar(image, ax=ax, shrink=0.6)
    ax.set_title(title)
    return figure


def _matrix(
    tables: dict[str, pd.DataFrame], codes: Mapping[str, CodeStyle], lang: str, label: str
) -> Figure:
    frame = _code_rows(next(iter(tables.values())))
    columns = [c for c in frame.columns if c not in ("code_id", "code", "Total")]
    labels = [
        _label(i, lbl, codes)
        for i, lbl in zip(frame["code_id"].astype(str), frame["code"].astype(str), strict=True)
    ]
    return _heatmap(frame[columns], labels, [str(c) for c in columns], _TITLES["matrix"][lang])


def _cooccurrence(
    tables: dict[str, pd.DataFrame], codes: Mapping[str, CodeStyle], lang: str, label: str
) -> Figure:
    frame = _code_rows(next(iter(tables.values())))
    ids = frame["code_id"].astype(str).tolist()
    names = dict(zip(ids, frame["code"].astype(str), strict=True))
    labels = [_label(i, names[i], codes) for i in ids]
    return _heatmap(frame[ids], labels, [names[i] or i for i in ids], _TITLES["cooccurrence"][lang])


def _agreement(
    tables: dict[str, pd.DataFrame], codes: Mapping[str, CodeStyle], lang: str, label: str
) -> Figure:
    frame = next(iter(tables.values()))
    ids = frame["code_id"].astype(str).tolist()
    labels = [
        _AXES["overall"][lang] if i.startswith("(") else _label(i, lbl, codes)
        for i, lbl in zip(ids, frame["code"].astype(str), strict=True)
    ]
    measures = [m for m in _MEASURES if m in frame.columns]
    series = [
        (
            _MEASURES[m][lang],
            frame[m].astype(float).tolist(),
            [_PALETTE[k % len(_PALETTE)]] * len(ids),
        )
        for k, m in enumerate(measures)
    ]
    figure = _figure(0.22 * len(ids) * len(measures) + 1.2)
    ax = figure.subplots()
    _bars(ax, labels, series, xlabel=_AXES["agreement"][lang])
    for threshold in (0.667, 0.8):  # Krippendorff's floors for tentative and firm conclusions
        ax.axvline(threshold, color="#888888", linestyle="--", linewidth=0.7)
    low = min(0.0, *(v for _, values, _ in series for v in values if not math.isnan(v)))
    ax.set_xlim(low, 1.12)
    ax.set_title(_TITLES["agreement"][lang])
    return figure


def _words(
    tables: dict[str, pd.DataFrame], codes: Mapping[str, CodeStyle], lang: str, label: str
) -> Figure:
    frame = next(iter(tables.values()))
    if "count" not in frame.columns:
        raise ReportError(
            "distinctive words have no chart; write their table to .xlsx, .csv, .md or .tex"
        )
    frame = frame.head(40)
    words = frame["word"].astype(str).tolist()
    figure = _figure(0.22 * len(words) + 1.0)
    ax = figure.subplots()
    _bars(
        ax,
        words,
        [("", frame["count"].astype(float).tolist(), [_PALETTE[0]] * len(words))],
        xlabel=_AXES["count"][lang],
    )
    ax.set_title(_TITLES["words"][lang])
    return figure


_DRAW = {
    "frequencies": _frequencies,
    "crosstab": _crosstab,
    "matrix": _matrix,
    "cooccurrence": _cooccurrence,
    "agreement": _agreement,
    "words": _words,
}
