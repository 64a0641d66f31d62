"""Word documents for a thesis: the quotes report and the codebook appendix.

Both use Word's own styles (Title, Heading 1/2/…, Quote, Caption, Table Grid), so pasting
into a thesis template, or attaching one, restyles them at once; and each style names an East
Asian font (宋体 for text, 黑体 for headings, 楷体 for quotes) beside Times New Roman, so Word
shows the Chinese in a Chinese font rather than falling back to whatever it finds. Pages are A4.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..fileio import atomic_write_bytes

if TYPE_CHECKING:
    from docx.document import Document
    from docx.styles.style import ParagraphStyle

    from ..quotes import QuotesReport
    from ..store import Project

LATIN_FONT = "Times New Roman"
EAST_ASIAN_FONTS = {
    "Normal": "宋体",
    "Title": "黑体",
    "Quote": "楷体",
    "Caption": "宋体",
    **{f"Heading {n}": "黑体" for n in range(1, 10)},
}
"""The East Asian font each style names (Word's names: 宋体 SimSun, 黑体 SimHei, 楷体 KaiTi)."""

# Characters XML 1.0 cannot hold (a stray control character in a transcript must not stop
# the report): dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def new_document(lang: str = "zh", *, landscape: bool = False) -> Document:
    """An empty A4 document whose styles carry the East Asian fonts (see the module) and,
    for Chinese, the East Asian language zh-CN."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = docx.Document()
    section = document.sections[0]
    width, height = Cm(21), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        width, height = height, width
    section.page_width, section.page_height = width, height
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    for name, east_asian in EAST_ASIAN_FONTS.items():
        try:
            style = document.styles[name]
        except KeyError:
            continue
        _set_fonts(style, east_asian)
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)  # 小四, the body size Chinese theses ask for
    _set_language(normal, "zh-CN" if lang == "zh" else "en-US")
    quote = document.styles["Quote"]
    quote.font.italic = False  # Chinese has no italic: Word would slant the characters
    quote.paragraph_format.left_indent = Cm(0.85)  # two characters of 小四
    return document


def _set_fonts(style: ParagraphStyle, east_asian: str) -> None:
    from docx.oxml.ns import qn

    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    # A theme font overrides a named one: drop the theme's so ours apply.
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian)


def _set_language(style: ParagraphStyle, language: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)  # last child: w:lang follows every property set here
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), language if language.startswith("zh") else "zh-CN")


def _paragraph(
    document: Document, text: str, style: str | None = None, *, bold_lead: str = ""
) -> None:
    paragraph = document.add_paragraph(style=style)
    if bold_lead:
        paragraph.add_run(_clean(bold_lead)).bold = True
    lines = _clean(text).split("\n")
    run = paragraph.add_run(lines[0])
    for line in lines[1:]:
        run.add_break()
        run = paragraph.add_run(line)


def to_bytes(document: Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- the quotes report ----------------------------------------------------------------------


def quotes_docx(report: QuotesReport, lang: str) -> bytes:
    """The quotes report (:mod:`qualcode.quotes`) as a .docx: Title, the scope, then per
    theme a heading (Heading 1 for a top-level code, Heading 2 for its children …), its
    definition and counts, and each quote in the Quote style with its caption (respondent,
    attributes, speaker, place) and memos in the Caption style."""
    from ..quotes import words

    document = new_document(lang)
    document.add_paragraph(_clean(words("title", lang, name=report.name)), style="Title")
    _paragraph(document, words("intro", lang))
    if scope := report.scope(lang):
        _paragraph(document, scope, bold_lead=words("filters", lang))
    if rule := report.rule(lang):
        _paragraph(document, rule, bold_lead=words("rule", lang))
    for theme in report.themes:
        document.add_heading(_clean(theme.heading(lang)), level=min(theme.depth + 1, 9))
        if theme.description:
            _paragraph(document, theme.description, bold_lead=words("definition", lang))
        _paragraph(document, report.counts(theme, lang))
        if not theme.quotes:
            _paragraph(document, words("none", lang))
        for quote in theme.quotes:
            _paragraph(document, quote.text, "Quote")
            _paragraph(document, "—— " + quote.caption(lang), "Caption")
            for coder, memo in quote.memos:
                _paragraph(document, memo, "Caption", bold_lead=words("memo", lang, coder=coder))
    return to_bytes(document)


# --- the codebook as an appendix ------------------------------------------------------------

CODEBOOK_COLUMNS = {
    "zh": ["编码ID", "编码", "定义", "纳入标准", "排除标准", "示例", "片段数", "受访者数"],
    "en": [
        "Code ID",
        "Code",
        "Definition",
        "Include",
        "Exclude",
        "Example",
        "Segments",
        "Respondents",
    ],
}
_CODEBOOK_WORDS = {
    "title": {"zh": "编码本：{name}", "en": "Codebook: {name}"},
    "caption": {"zh": "表 1　编码本", "en": "Table 1. Codebook"},
    "note": {
        "zh": "注：片段数与受访者数为已确认的编码，父编码包含其所有子编码的片段，同一片段只计一次；"
        "一份访谈记录为一位受访者（共 {base} 位）。",
        "en": "Note: segments and respondents count confirmed codings; a parent code's "
        "figures include the segments of all its children, each segment once; one "
        "transcript is one respondent ({base} in all).",
    },
}


def codebook_rows(project: Project, lang: str) -> tuple[list[str], list[list[object]], int]:
    """The codebook as an appendix table: columns (in ``lang``), one row per code in
    codebook order (children indented under their parents by an ideographic space per
    level; the English label under the Chinese one in English), and the number of
    respondents the counts are of."""
    from ..analysis import frequencies

    counts = frequencies(project)
    figures = {
        row["code_id"]: (int(row["segments"]), int(row["transcripts"]))
        for _, row in counts.iterrows()
        if row["code_id"]
    }
    rows: list[list[object]] = []
    for code, _, depth in project.codebook().walk():
        label = "\u3000" * depth + code.label
        if lang != "zh" and code.label_en:
            label += f"\n{'　' * depth}{code.label_en}"
        segments, respondents = figures.get(code.id, (0, 0))
        rows.append(
            [
                code.id,
                label,
                code.description,
                code.include,
                code.exclude,
                "；".join(code.examples) if lang == "zh" else "; ".join(code.examples),
                segments,
                respondents,
            ]
        )
    return CODEBOOK_COLUMNS["zh" if lang == "zh" else "en"], rows, len(project.transcript_names())


def codebook_docx(project: Project, lang: str = "zh") -> bytes:
    """The project's working codebook as a Word table (landscape A4): a Caption above it,
    one row per code (id, label, definition, include, exclude, example, segments,
    respondents), the header row repeated on every page, and a note under it on how the
    counts are made, as NVivo and MAXQDA export codebooks."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    lang = "zh" if lang == "zh" else "en"
    columns, rows, base = codebook_rows(project, lang)
    document = new_document(lang, landscape=True)
    book = project.codebook()
    document.add_paragraph(
        _clean(_CODEBOOK_WORDS["title"][lang].format(name=book.name or project.name)), style="Title"
    )
    description = book.description
    if description:
        _paragraph(document, description)
    document.add_paragraph(_CODEBOOK_WORDS["caption"][lang], style="Caption")
    table = document.add_table(rows=1, cols=len(columns))
    table.style = document.styles["Table Grid"]
    table.autofit = False
    widths = [Cm(w) for w in (3.4, 2.8, 5.0, 4.0, 4.0, 3.4, 1.4, 1.6)]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    header = table.rows[0]
    header_props = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # repeat the header row on every page
    repeat.set(qn("w:val"), "true")
    header_props.append(repeat)
    for cell, title, width in zip(header.cells, columns, widths, strict=True):
        cell.width = width
        cell.paragraphs[0].add_run(title).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value, width in zip(cells, row, widths, strict=True):
            cell.width = width
            lines = _clean(str(value)).split("\n")
            run = cell.paragraphs[0].add_run(lines[0])
            for line in lines[1:]:
                run.add_break()
                run = cell.paragraphs[0].add_run(line)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)  # 小五: eight columns across a page
    _paragraph(document, _CODEBOOK_WORDS["note"][lang].format(base=base))
    return to_bytes(document)


def write_codebook_docx(project: Project, path: str | Path, lang: str = "zh") -> int:
    """Write :func:`codebook_docx` to ``path`` atomically; returns the number of codes."""
    atomic_write_bytes(path, codebook_docx(project, lang))
    return len(project.codebook().by_id())
