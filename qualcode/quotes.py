"""The quotes report: what respondents said under each theme, ready for a thesis chapter.

Themes are codes in codebook order (parents as headings, children as subheadings), each
with its definition and counts, then its quotes: the text of each coding of that code, with
the respondent's id and chosen attributes (``A01（女，60岁及以上，本科）``), the speaker, the
transcript and sentence numbers, and the coders' memos on it. Written as Word (.docx, with
Word's own styles: see :mod:`qualcode.exchange.word`), Markdown (.md) or HTML (.html).

Counts follow the reports (:mod:`qualcode.analysis`): a theme's segments and respondents
include its children's, each segment once. A quote is a coding of exactly that code: the
same span coded by two coders is one quote. With ``max_per_code``, quotes are chosen by
:data:`SELECTION_RULE`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ReportError

if TYPE_CHECKING:
    from .store import Project

QUOTE_FORMATS = {".docx": "docx", ".md": "markdown", ".html": "html", ".htm": "html"}
"""File endings the quotes report is written to."""

SELECTION_RULE = {
    "zh": "按受访者轮流选取：先取每位受访者的第一条（该主题片段多的受访者在前，其次按编号），"
    "再取第二条，依此类推，直到满 {n} 条；同一受访者的引文按原文顺序",
    "en": "respondents taken in turn: the first quote of each respondent (those with more "
    "segments of the theme first, then by id), then the second, and so on up to {n}; "
    "one respondent's quotes in text order",
}
"""How ``max_per_code`` chooses quotes, as the report states it."""

_WORDS = {
    "title": {"zh": "引文报告：{name}", "en": "Quotes: {name}"},
    "definition": {"zh": "定义：", "en": "Definition: "},
    "counts": {
        "zh": "片段数 {segments}，受访者 {respondents} 位（共 {base} 位）",
        "en": "{segments} segments, {respondents} of {base} respondents",
    },
    "shown": {"zh": "；本节引文 {shown} 条（共 {total} 条）", "en": "; {shown} of {total} quotes"},
    "none": {
        "zh": "（本编码本身没有引文，见下级编码）",
        "en": "(no quotes coded with this code itself; see the codes below)",
    },
    "sentence": {"zh": "第{first}句", "en": "sentence {first}"},
    "sentences": {"zh": "第{first}–{last}句", "en": "sentences {first}–{last}"},
    "memo": {"zh": "备忘（{coder}）：", "en": "Memo ({coder}): "},
    "intro": {
        "zh": "按主题（编码本顺序）列出受访者原话。片段数与受访者数包含下级编码，同一片段只计一次；"
        "一份访谈记录为一位受访者。",
        "en": "What respondents said, by theme in codebook order. Segments and respondents "
        "include those of the codes below, each segment once; one transcript is one "
        "respondent.",
    },
    "filters": {"zh": "范围：", "en": "Scope: "},
    "rule": {"zh": "引文选取：", "en": "Quotes chosen: "},
    "coders": {"zh": "编码者 {names}", "en": "coders {names}"},
    "roles": {"zh": "仅计{roles}的话", "en": "only what {roles} speakers said"},
    "status": {"zh": "编码状态 {status}", "en": "status {status}"},
}
_ROLE_WORDS = {"interviewer": "访谈者", "respondent": "受访者", "other": "其他说话人"}


def words(key: str, lang: str, **fields: object) -> str:
    """The report's own words in ``lang`` (``zh`` or ``en``), blanks filled from ``fields``."""
    text = _WORDS[key]["zh" if lang == "zh" else "en"]
    return text.format(**fields) if fields else text


@dataclass(slots=True)
class Quote:
    """One quote: the coded text and where it comes from."""

    transcript: str
    start: int
    end: int
    text: str
    respondent: str  # the case: one interviewee, or one survey respondent
    attributes: list[tuple[str, str]]  # (attribute, value) of those chosen, in their order
    speaker: str = ""
    sentences: tuple[int, int] | None = None  # first and last sentence touched (1-based)
    coders: list[str] = field(default_factory=list)
    memos: list[tuple[str, str]] = field(default_factory=list)  # (coder, memo)

    def caption(self, lang: str) -> str:
        """``A01_zhang（女，60岁及以上）· 受访者 · 第12句`` — who said it, and where."""
        values = [value for _, value in self.attributes if value]
        who = (
            self.respondent
            + (
                ("（" + "，".join(values) + "）")
                if lang == "zh"
                else (" (" + ", ".join(values) + ")")
            )
            if values
            else self.respondent
        )
        parts = [who]
        if self.speaker:
            parts.append(self.speaker)
        place = self.transcript if self.transcript != self.respondent else ""
        if self.sentences:
            first, last = self.sentences
            number = (
                words("sentence", lang, first=first)
                if first == last
                else words("sentences", lang, first=first, last=last)
            )
            place = f"{place} {number}".strip() if place else number
        if place:
            parts.append(place)
        return " · ".join(parts)


@dataclass(slots=True)
class Theme:
    """A code as a section of the report: its heading level (``depth`` 0 for a top-level
    code), definition, counts (children included) and quotes (codings of the code itself);
    ``total`` is how many quotes there were before ``max_per_code`` chose."""

    code_id: str
    label: str
    label_en: str
    description: str
    depth: int
    segments: int
    respondents: int
    quotes: list[Quote]
    total: int

    def heading(self, lang: str) -> str:
        """The section heading: the Chinese label; in English the English label with the
        Chinese one beside it."""
        if lang != "zh" and self.label_en:
            return f"{self.label_en}（{self.label}）" if self.label else self.label_en
        return self.label or self.code_id


@dataclass(slots=True)
class QuotesReport:
    """The whole report: the project's name, the themes in codebook order, how many
    respondents the report covers, the scope it was narrowed to (``--where`` as
    :func:`qualcode.attribute_filter.describe` gives it, coders, speaker roles), the
    attributes shown with each quote and ``max_per_code`` (None: every quote)."""

    name: str
    themes: list[Theme]
    respondents: int
    where: Sequence[str] = ()
    coders: Sequence[str] | None = None
    speaker_roles: Sequence[str] = ()
    status: str = "confirmed"
    attributes: list[str] = field(default_factory=list)
    max_per_code: int | None = None

    def scope(self, lang: str) -> str:
        """The narrowing in words (empty when the report covers everything)."""
        from .attribute_filter import describe

        parts = []
        if self.where:
            parts.append(describe(self.where, lang))
        if self.coders:
            parts.append(words("coders", lang, names=", ".join(self.coders)))
        if self.speaker_roles:
            roles = (
                "、".join(_ROLE_WORDS.get(r, r) for r in self.speaker_roles)
                if lang == "zh"
                else ", ".join(self.speaker_roles)
            )
            parts.append(words("roles", lang, roles=roles))
        if self.status != "confirmed":
            parts.append(words("status", lang, status=self.status))
        return ("；" if lang == "zh" else "; ").join(parts)

    def rule(self, lang: str) -> str:
        """How quotes were chosen (empty when all are shown)."""
        if self.max_per_code is None:
            return ""
        return SELECTION_RULE["zh" if lang == "zh" else "en"].format(n=self.max_per_code)

    def counts(self, theme: Theme, lang: str) -> str:
        text = words(
            "counts",
            lang,
            segments=theme.segments,
            respondents=theme.respondents,
            base=self.respondents,
        )
        if self.max_per_code is not None and theme.total > len(theme.quotes):
            text += words("shown", lang, shown=len(theme.quotes), total=theme.total)
        return text + ("。" if lang == "zh" else ".")


def quotes_report(
    project: Project,
    *,
    code_ids: Sequence[str] | None = None,
    where: Sequence[str] | None = None,
    coders: Sequence[str] | None = None,
    status: str = "confirmed",
    speaker_roles: Sequence[str] | None = None,
    max_per_code: int | None = None,
    attributes: Sequence[str] | None = None,
) -> QuotesReport:
    """Collect the quotes report (see the module) of ``project``.

    ``code_ids``: these themes and the codes below them (default: every code used);
    ``where``: only respondents meeting these ``ATTR=VALUE`` / ``ATTR!=VALUE`` conditions;
    ``coders``, ``status``, ``speaker_roles``: which codings count, as in the reports;
    ``max_per_code``: at most this many quotes per theme, chosen by :data:`SELECTION_RULE`;
    ``attributes``: the respondent attributes shown with each quote, in this order (default:
    all of them)."""
    import numpy as np

    from . import analysis
    from .attribute_filter import matching_transcripts
    from .roles import allowed_spans, check_roles, overlaps

    if max_per_code is not None and max_per_code < 1:
        raise ReportError(f"--max-per-code {max_per_code}: give 1 or more")
    roles = check_roles(speaker_roles)
    data = analysis.segments(
        project, coders=coders, status=status, speaker_roles=roles, where=where
    )
    chosen = matching_transcripts(project, where)
    wanted = _wanted_codes(project, data.codes, code_ids)
    case_of = project.transcript_cases()

    # Counts as the reports give them: segments and respondents (cases), children included.
    frame = data.frame
    code_index = frame["code"].cat.codes.to_numpy(np.int64)
    case_names = [case_of.get(t, t) for t in data.transcripts]
    case_index = {name: i for i, name in enumerate(dict.fromkeys(case_names))}
    case_of_row = (
        np.array([case_index[c] for c in case_names] or [0], dtype=np.int64)[
            frame["transcript"].cat.codes.to_numpy(np.int64)
        ]
        if len(frame)
        else np.zeros(0, int)
    )
    n_segments = np.bincount(code_index, minlength=len(data.codes))
    pairs = np.unique(code_index * max(len(case_index), 1) + case_of_row)
    n_respondents = np.bincount(pairs // max(len(case_index), 1), minlength=len(data.codes))

    # The quotes: codings of each wanted code itself, one per span.
    allowed = set(chosen) if chosen is not None else None
    spans = allowed_spans(project, roles) if roles is not None else None
    by_code: dict[str, dict[tuple[str, int, int], list[tuple[str, str]]]] = {
        info.id: {} for info in wanted
    }
    for _, transcript, start, end, code_id, coder, memo in project.memo_coding_rows(
        coders=coders, statuses=analysis.statuses(status)
    ):
        found = by_code.get(code_id)
        if found is None or (allowed is not None and transcript not in allowed):
            continue
        if spans is not None and not overlaps(spans.get(transcript, []), start, end):
            continue
        found.setdefault((transcript, start, end), []).append((coder, memo))
    picked = {code_id: _choose(spans, case_of, max_per_code) for code_id, spans in by_code.items()}

    details = _Details(
        project,
        {t for quotes in picked.values() for t, _, _ in quotes},
        _attribute_names(project, attributes),
    )
    position = {info.id: i for i, info in enumerate(data.codes)}
    codebook = project.codebook().by_id()
    themes = []
    for info in wanted:
        i = position[info.id]
        if not n_segments[i]:
            continue
        code = codebook.get(info.id)
        quotes = [details.quote(key, by_code[info.id][key], case_of) for key in picked[info.id]]
        themes.append(
            Theme(
                info.id,
                info.label,
                code.label_en if code else "",
                code.description if code else "",
                info.depth,
                int(n_segments[i]),
                int(n_respondents[i]),
                quotes,
                len(by_code[info.id]),
            )
        )
    return QuotesReport(
        project.name,
        themes,
        len(case_index),
        tuple(where or ()),
        list(coders) if coders else None,
        tuple(roles or ()),
        status,
        details.attributes,
        max_per_code,
    )


def _wanted_codes(project: Project, infos: Sequence, code_ids: Sequence[str] | None) -> list:
    if not code_ids:
        return list(infos)
    known = {info.id for info in infos}
    for code_id in code_ids:
        if code_id not in known:
            project.require_code(code_id)
    return [info for info in infos if any(a in code_ids for a in info.lineage)]


def _choose(
    spans: dict[tuple[str, int, int], list], case_of: dict[str, str], max_per_code: int | None
) -> list[tuple[str, int, int]]:
    """The quotes of one code to show, in respondent then text order: all of them, or
    ``max_per_code`` chosen by :data:`SELECTION_RULE`."""
    keys = sorted(spans)
    if max_per_code is None or len(keys) <= max_per_code:
        return keys
    by_respondent: dict[str, list[tuple[str, int, int]]] = {}
    for key in keys:
        by_respondent.setdefault(case_of.get(key[0], key[0]), []).append(key)
    order = sorted(by_respondent, key=lambda r: (-len(by_respondent[r]), _natural(r)))
    chosen: list[tuple[str, int, int]] = []
    depth = 0
    while len(chosen) < max_per_code:
        for respondent in order:
            if depth < len(by_respondent[respondent]):
                chosen.append(by_respondent[respondent][depth])
                if len(chosen) == max_per_code:
                    break
        depth += 1
    rank = {r: _natural(r) for r in by_respondent}
    return sorted(chosen, key=lambda k: (rank[case_of.get(k[0], k[0])], k))


def _natural(text: str) -> list[object]:
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text)
        if part
    ]


def _attribute_names(project: Project, attributes: Sequence[str] | None) -> list[str]:
    from .analysis import resolve_attribute
    from .errors import AttributesError

    names = project.attribute_names()
    if attributes is None:
        return names
    chosen = []
    for attribute in attributes:
        name = resolve_attribute(project, attribute)
        if name not in names:
            raise AttributesError(
                f"no respondent attribute {attribute!r}; the project has: "
                f"{', '.join(names) or 'none'}"
            )
        chosen.append(name)
    return chosen


class _Details:
    """What a quote shows beside its text, read for the transcripts quoted only: the texts,
    their sentences (number, span, speaker) and the respondents' attributes."""

    def __init__(self, project: Project, transcripts: set[str], attributes: list[str]):
        from bisect import bisect_right

        self._bisect = bisect_right
        names = sorted(transcripts)
        self.texts = project.transcript_texts(names) if names else {}
        self.attributes = attributes
        self.table = project.attributes()
        self.sentences: dict[str, tuple[list[int], list[int], list[str]]] = {}
        if names:
            from .analysis import units

            frame = units(project, "sentence")  # sorted by transcript, then position
            codes = frame["transcript"].cat.codes.to_numpy()
            categories = frame["transcript"].cat.categories
            for name in names:
                i = categories.get_loc(name)
                lo, hi = codes.searchsorted(i, "left"), codes.searchsorted(i, "right")
                part = frame.iloc[lo:hi]
                self.sentences[name] = (
                    part["start"].tolist(),
                    part["end"].tolist(),
                    part["speaker"].astype(str).tolist(),
                )

    def quote(
        self, key: tuple[str, int, int], marks: list[tuple[str, str]], case_of: dict[str, str]
    ) -> Quote:
        transcript, start, end = key
        respondent = case_of.get(transcript, transcript)
        values = self.table.get(respondent, {})
        starts, ends, speakers = self.sentences.get(transcript, ([], [], []))
        first = self._bisect(starts, start) - 1
        last = self._bisect(starts, max(start, end - 1)) - 1
        sentences = speaker = None
        if first >= 0 and ends[first] > start:
            sentences, speaker = (first + 1, max(first, last) + 1), speakers[first]
        elif first + 1 < len(starts) and starts[first + 1] < end:
            sentences, speaker = (first + 2, max(first + 1, last) + 1), speakers[first + 1]
        coders = list(dict.fromkeys(coder for coder, _ in marks))
        memos = [(coder, memo.strip()) for coder, memo in marks if memo.strip()]
        return Quote(
            transcript,
            start,
            end,
            self.texts[transcript][start:end].strip(),
            respondent,
            [(a, values.get(a, "")) for a in self.attributes],
            speaker or "",
            sentences,
            coders,
            memos,
        )


# --- writing --------------------------------------------------------------------------------


def quotes_format(path: str | Path) -> str:
    """``docx``, ``markdown`` or ``html`` by the file's ending; a :class:`ReportError`
    naming the endings otherwise."""
    found = QUOTE_FORMATS.get(Path(path).suffix.lower())
    if found is None:
        raise ReportError("write the quotes report to a .docx (Word), .md or .html file", path=path)
    return found


def write_quotes(report: QuotesReport, path: str | Path, lang: str = "zh") -> Path:
    """Write ``report`` to ``path`` as Word, Markdown or HTML (by its ending), atomically;
    returns ``path``."""
    from .fileio import atomic_write_bytes

    path = Path(path)
    kind = quotes_format(path)
    lang = "zh" if lang == "zh" else "en"
    if kind == "docx":
        from .exchange.word import quotes_docx

        data = quotes_docx(report, lang)
    elif kind == "markdown":
        data = quotes_markdown(report, lang).encode("utf-8")
    else:
        data = quotes_html(report, lang).encode("utf-8")
    atomic_write_bytes(path, data)
    return path


def _md(text: str) -> str:
    """The researcher's text shown as it is, never read as Markdown: inline markup
    characters escaped, and what would open a heading or a list at the start of a line;
    ``A02_li`` and ``30-44岁`` stay readable."""
    text = re.sub(
        r"([\\`*\[\]<>|~])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", lambda m: "\\" + m[0], text
    )
    text = re.sub(r"^(\s*)([#>+=-])", r"\1\\\2", text)
    return re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", text)


def quotes_markdown(report: QuotesReport, lang: str) -> str:
    """The report as Markdown: ``#`` title, ``##`` top-level themes, ``###`` and deeper for
    the codes below, each quote a block quote with its caption."""
    lines = [f"# {_md(words('title', lang, name=report.name))}", "", words("intro", lang)]
    if scope := report.scope(lang):
        lines += ["", f"{words('filters', lang)}{_md(scope)}"]
    if rule := report.rule(lang):
        lines += ["", f"{words('rule', lang)}{rule}"]
    for theme in report.themes:
        lines += ["", f"{'#' * min(theme.depth + 2, 6)} {_md(theme.heading(lang))}", ""]
        if theme.description:
            lines += [f"**{words('definition', lang).strip()}** {_md(theme.description)}", ""]
        lines.append(report.counts(theme, lang))
        if not theme.quotes:
            lines += ["", words("none", lang)]
        for quote in theme.quotes:
            lines.append("")
            lines += ["> " + _md(line) if line.strip() else ">" for line in quote.text.split("\n")]
            lines += [">", f"> —— {_md(quote.caption(lang))}"]
            for coder, memo in quote.memos:
                lines += [">", f"> *{_md(words('memo', lang, coder=coder))}{_md(memo)}*"]
    return "\n".join(lines) + "\n"


_CSS = """body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", "Songti SC",
  serif; max-width: 46em; margin: 2em auto; line-height: 1.7; padding: 0 1em; }
blockquote { margin: 1em 0 0.2em 1.5em; padding-left: 1em; border-left: 3px solid #ccc; }
p.caption { margin: 0 0 0.2em 2.5em; color: #555; font-size: 0.9em; }
p.memo { margin: 0 0 1em 2.5em; color: #777; font-size: 0.85em; font-style: italic; }
p.counts { color: #444; }"""


def quotes_html(report: QuotesReport, lang: str) -> str:
    """The report as one HTML page (``<h1>`` title, ``<h2>`` … per theme, each quote a
    ``<blockquote>`` with a ``<p class="caption">``), every text escaped."""
    e = html.escape
    title = words("title", lang, name=report.name)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        '<head><meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        f"<style>{_CSS}</style></head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{e(words('intro', lang))}</p>",
    ]
    if scope := report.scope(lang):
        parts.append(f"<p>{e(words('filters', lang) + scope)}</p>")
    if rule := report.rule(lang):
        parts.append(f"<p>{e(words('rule', lang) + rule)}</p>")
    for theme in report.themes:
        level = min(theme.depth + 2, 6)
        parts.append(f'<h{level} id="{e(theme.code_id)}">{e(theme.heading(lang))}</h{level}>')
        if theme.description:
            parts.append(
                f"<p><strong>{e(words('definition', lang))}</strong>{e(theme.description)}</p>"
            )
        parts.append(f'<p class="counts">{e(report.counts(theme, lang))}</p>')
        if not theme.quotes:
            parts.append(f"<p>{e(words('none', lang))}</p>")
        for quote in theme.quotes:
            text = "<br>".join(e(line) for line in quote.text.split("\n"))
            parts.append(f"<blockquote><p>{text}</p></blockquote>")
            parts.append(f'<p class="caption">—— {e(quote.caption(lang))}</p>')
            for coder, memo in quote.memos:
                parts.append(f'<p class="memo">{e(words("memo", lang, coder=coder) + memo)}</p>')
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
