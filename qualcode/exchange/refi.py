"""REFI-QDA exchange: codebooks (``.qdc``) and projects (``.qdpx``) to and from NVivo,
ATLAS.ti, MAXQDA, QualCoder and the other programs that speak the standard.

Writing follows the official schemas (``qualcode/data/refi-qda/*.xsd``, QDA-XML 1.0); the
tests validate every file written here against them. Reading is lenient about what programs
actually write (missing names, sources outside the archive, ``Sources/`` spelled with a capital)
and strict about what could hurt: XML is parsed with defusedxml and refused when it declares
a DTD (external entities, entity-expansion bombs); archives are refused when a member's path
leaves the archive (``..``, absolute paths, drive letters), is a symlink, is encrypted, or
inflates beyond :class:`~qualcode.archives.ArchiveLimits`, counted as it inflates (the one
archive guard, :mod:`qualcode.archives`); a "text" source that holds binary data is refused.
An archive is never extracted to disk: members are read into memory, within those limits.

Decisions a user of another program may want to know:

- **GUIDs.** A code's GUID is ``uuid5`` of the project's namespace (derived from the
  project's creation time and name) and the code id, so re-exports are stable; GUIDs another
  program gave codes, sources and users are recorded on import and written back on export.
  Selections, codings and notes get GUIDs derived from those, so a project exported, imported
  and exported again gives the same GUIDs throughout.
- **Our fields in a codebook.** The schemas allow no extension elements, so a code's id,
  English label, include/exclude rules, examples, keywords and auto-coding rules (match,
  patterns, token_patterns) ride in its ``Description``,
  after the description proper, as a block other programs show as plain text::

      受访者对宣传的看法

      --- qualcode ---
      id: "publicity"
      keywords: ["宣传", "推广"]

  Each value is JSON (one line). A description edited in another program keeps its block.
- **Ids of codes from other programs**: our id from the block when present, else the code
  whose GUID it is, else the code with that label, else a new id from the label's pinyin or
  words (:func:`qualcode.codematch.suggest_code_id`).
- **Positions.** PlainTextSelection positions are code points into the plain text, CRLF
  counted as two (the standard). Some programs count UTF-16 code units (an emoji is two) or
  count a CRLF as one. When a source contains such characters, each reading is tried and the
  one under which the selections fit the text and their names match the selected text wins;
  with no evidence, the standard. Stored text has line ends normalised to ``\\n`` and
  positions are mapped onto it; exports write that text, so the written positions are plain
  code points.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from xml.etree.ElementTree import Element, ParseError, SubElement, indent, tostring

from ..archives import DEFAULT_LIMITS, Archive, ArchiveLimits, read_limited
from ..codebook import (
    CODE_ID,
    MATCH_MODES,
    CodebookMerge,
    MergeConflictError,
    duplicate_label_warnings,
    duplicate_labels,
    load_codebook,
    merge_codebooks,
    normalize_color,
    pattern_problem,
    save_codebook,
    token_pattern_problem,
    validate_codebook,
)
from ..errors import CodebookError, QualcodeError, TranscriptError
from ..fileio import atomic_write_bytes
from ..model import Code, Codebook, Coding, ParsedTranscript
from ..progress import SILENT, Progress

if TYPE_CHECKING:
    from ..store import Project

NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
NS_PROJECT = "urn:QDA-XML:project:1.0"
SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "refi-qda"
CODEBOOK_XSD = SCHEMAS / "Codebook.xsd"
PROJECT_XSD = SCHEMAS / "Project.xsd"

# Fixed namespace of every GUID qualcode derives (uuid5 of "qualcode.refi-qda").
QUALCODE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://qualcode.invalid/refi-qda")
EXTRA_MARKER = "--- qualcode ---"
_EXTRA_TEXT = ("label_en", "include", "exclude")
_EXTRA_LISTS = ("examples", "keywords")
_EXTRA_RULES = ("match", "patterns", "token_patterns")  # auto-coding rules (qualcode.autocode)
_GUID = re.compile(
    r"\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?"
)
_RGB = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
# Characters XML 1.0 cannot carry even escaped; replaced when writing.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_TEXT_SUFFIXES = (".txt", ".docx", ".doc", ".rtf", ".md", ".odt", ".pdf", ".html", ".htm")
_SPECIAL = re.compile("\r\n|[\U00010000-\U0010ffff]")

PositionUnits = Literal["auto", "codepoints", "utf16"]
LineEnds = Literal["auto", "as-written", "lf"]


class ExchangeError(QualcodeError):
    """A REFI-QDA file cannot be read or written; nothing was changed."""

    title = "REFI-QDA exchange error"


# --- small helpers ----------------------------------------------------------------------------


def _origin() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"qualcode {version('qualcode')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "qualcode"


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _guid_key(guid: str) -> str:
    return guid.strip().strip("{}").lower()


def _derived(namespace: uuid.UUID, *parts: object) -> str:
    return str(uuid.uuid5(namespace, "\x1f".join(str(p) for p in parts)))


def project_namespace(project: Project) -> uuid.UUID:
    """The namespace of the GUIDs derived for a project: stable for the project's life."""
    return uuid.uuid5(QUALCODE_NAMESPACE, f"project\x1f{project.meta('created')}\x1f{project.name}")


def code_guids(
    codebook: Codebook, namespace: uuid.UUID, recorded: dict[str, str] | None = None
) -> dict[str, str]:
    """Code id -> GUID: the one another program gave the code when recorded, else derived."""
    recorded = recorded or {}
    return {
        code.id: recorded[code.id]
        if _GUID.fullmatch(recorded.get(code.id, ""))
        else _derived(namespace, "code", code.id)
        for code, _, _ in codebook.walk()
    }


def _xsd_datetime(stamp: str) -> str | None:
    """Our ``2024-05-01T10:00:00+0800`` as xsd:dateTime ``2024-05-01T10:00:00+08:00``."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).isoformat()
    except ValueError:
        return None


# QualCoder writes its stored time with the zone and then a Z as well (…+00:00Z), or a space
# for the T: both read, the Z after an offset dropped.
_ZONE_AND_Z = re.compile(r"([+-][0-9]{2}:?[0-9]{2})Z$")


def _our_datetime(stamp: str | None, unreadable: list[str] | None = None) -> str:
    """An xsd:dateTime (``...Z``, fractions, offsets, QualCoder's ``...+00:00Z``) in the
    store's format; "" when there is none, or when it cannot be read (then added to
    ``unreadable``, so the import can say so)."""
    if not stamp or not stamp.strip():
        return ""
    text = _ZONE_AND_Z.sub(r"\1", stamp.strip())
    if len(text) > 10 and text[10] == " ":
        text = f"{text[:10]}T{text[11:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        if unreadable is not None:
            unreadable.append(stamp)
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z" if moment.tzinfo else "%Y-%m-%dT%H:%M:%S")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _snippet(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- our fields inside a Description ------------------------------------------------------------


def description_with_extras(code: Code) -> str:
    """A code's description followed by the block that carries our other fields."""
    extras: dict[str, object] = {"id": code.id}
    for name in (*_EXTRA_TEXT, *_EXTRA_LISTS, *_EXTRA_RULES):
        if (value := getattr(code, name)) and not (name == "match" and value == "word"):
            extras[name] = value
    block = EXTRA_MARKER + "".join(
        f"\n{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in extras.items()
    )
    return f"{code.description}\n\n{block}" if code.description else block


def split_extras(text: str) -> tuple[str, dict[str, object], list[str]]:
    """``(description, extras, problems)`` from a Description that may end with our block."""
    if text.startswith(EXTRA_MARKER + "\n") or text == EXTRA_MARKER:
        description, block = "", text[len(EXTRA_MARKER) :]
    else:
        at = text.rfind("\n\n" + EXTRA_MARKER + "\n")
        if at < 0:
            return text, {}, []
        description, block = text[:at], text[at + 2 + len(EXTRA_MARKER) :]
    extras: dict[str, object] = {}
    problems: list[str] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        key, _, value = line.partition(": ")
        try:
            extras[key.strip()] = json.loads(value)
        except ValueError:
            problems.append(f"cannot read {line.strip()[:40]!r} in the qualcode block")
    return description, extras, problems


def _read_rules(code: Code, extras: dict[str, object]) -> list[str]:
    """Set ``code``'s auto-coding rules from a qualcode block, checked as a codebook file's
    are; a rule edited into something invalid in another program is dropped, with why."""
    problems: list[str] = []
    match = extras.get("match")
    if match in MATCH_MODES:
        code.match = match  # type: ignore[assignment]
    elif match is not None:
        problems.append(f"match {match!r} in the qualcode block is not word or substring")
    patterns = extras.get("patterns")
    if isinstance(patterns, list) and all(isinstance(p, str) and p for p in patterns):
        for pattern in patterns:
            if problem := pattern_problem(pattern):
                problems.append(f"pattern {pattern!r} {problem}; dropped")
            else:
                code.patterns.append(pattern)
    elif patterns is not None:
        problems.append("patterns in the qualcode block is not a list of texts")
    token_patterns = extras.get("token_patterns")
    if isinstance(token_patterns, list):
        for number, pattern in enumerate(token_patterns, start=1):
            if problem := token_pattern_problem(pattern):
                problems.append(f"token pattern {number}: {problem[1]}; dropped")
            else:
                code.token_patterns.append(pattern)  # type: ignore[arg-type]
    elif token_patterns is not None:
        problems.append("token_patterns in the qualcode block is not a list of patterns")
    return problems


# --- codebooks: writing ------------------------------------------------------------------------


def _code_element(parent: Element, code: Code, guids: dict[str, str]) -> None:
    attributes = {"guid": guids[code.id], "name": _xml(code.label), "isCodable": "true"}
    if code.color:
        attributes["color"] = code.color
    element = SubElement(parent, "Code", attributes)
    SubElement(element, "Description").text = _xml(description_with_extras(code))
    for child in code.children:
        _code_element(element, child, guids)


def _serialise(root: Element) -> bytes:
    indent(root, space=" ")
    return tostring(root, encoding="utf-8", xml_declaration=True)


def qdc_bytes(codebook: Codebook, guids: dict[str, str]) -> bytes:
    """A REFI-QDA codebook document (``urn:QDA-XML:codebook:1.0``) for ``codebook``."""
    validate_codebook(codebook)
    if not codebook.codes:
        raise ExchangeError("the codebook has no codes; a REFI-QDA codebook needs at least one")
    root = Element("CodeBook", {"xmlns": NS_CODEBOOK, "origin": _origin()})
    codes = SubElement(root, "Codes")
    for code in codebook.codes:
        _code_element(codes, code, guids)
    return _serialise(root)


def write_qdc(codebook: Codebook, path: str | Path, guids: dict[str, str] | None = None) -> None:
    """Write ``codebook`` as a ``.qdc`` file atomically; GUIDs derived from the codebook's name
    when not given (a project's export passes its own)."""
    if guids is None:
        namespace = uuid.uuid5(QUALCODE_NAMESPACE, f"codebook\x1f{codebook.name}")
        guids = code_guids(codebook, namespace)
    data = qdc_bytes(codebook, guids)
    try:
        atomic_write_bytes(path, data)
    except QualcodeError as error:
        raise ExchangeError(error.message, path=path) from None


# --- XML reading ---------------------------------------------------------------------------------


def parse_xml(data: bytes, path: str | Path) -> Element:
    """Parse untrusted XML: no DTD (so no external or expanding entities), namespaces dropped
    from tag names (programs differ in how they write them)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ExchangeError(
            f"refused: the XML declares a document type or entities ({type(error).__name__}); "
            "such declarations can read files from this computer or expand into gigabytes, and "
            "REFI-QDA files never need them. Export the file again from the program that wrote it",
            path=path,
        ) from None
    except ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise ExchangeError(f"not well-formed XML: {error.msg}", path=path, line=line) from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
        for name in [n for n in element.attrib if "}" in n]:
            element.attrib[name.rsplit("}", 1)[1]] = element.attrib.pop(name)
    return root


def _kids(element: Element | None, tag: str) -> list[Element]:
    return [child for child in element if child.tag == tag] if element is not None else []


def _kid(element: Element | None, tag: str) -> Element | None:
    found = _kids(element, tag)
    return found[0] if found else None


def _kid_text(element: Element | None, tag: str) -> str:
    child = _kid(element, tag)
    return child.text or "" if child is not None else ""


@dataclass(slots=True)
class _ForeignCode:
    guid: str
    codable: bool
    name: str
    color: str
    description: str
    note_refs: list[str]
    children: list[_ForeignCode]


def _read_codes(codes: Element | None) -> list[_ForeignCode]:
    return [
        _ForeignCode(
            guid=element.get("guid", ""),
            codable=element.get("isCodable", "true").strip().lower() not in ("false", "0"),
            name=element.get("name", ""),
            color=element.get("color", ""),
            description=_kid_text(element, "Description"),
            note_refs=[ref.get("targetGUID", "") for ref in _kids(element, "NoteRef")],
            children=_read_codes(element),
        )
        for element in _kids(codes, "Code")
    ]


def _walk_foreign(
    codes: list[_ForeignCode], parent: _ForeignCode | None = None
) -> Iterator[tuple[_ForeignCode, _ForeignCode | None]]:
    for code in codes:
        yield code, parent
        yield from _walk_foreign(code.children, code)


@dataclass(slots=True)
class ReadCodebook:
    """A codebook read from another program's file, with our ids assigned."""

    codebook: Codebook
    guids: dict[str, str]  # code id -> the GUID in the file
    by_guid: dict[str, str]  # GUID key (lower case, no braces) -> code id
    warnings: list[str] = field(default_factory=list)


def build_codebook(
    codes: list[_ForeignCode],
    name: str,
    *,
    existing: Codebook | None = None,
    known_guids: dict[str, str] | None = None,
    language: str | None = None,
) -> ReadCodebook:
    """Our codebook from codes read from a file. Ids: our block's id, else the id whose GUID
    it is (``known_guids``: GUID key -> id), else the id of ``existing``'s code with that label
    (when only one has it), else a new id from the label."""
    from ..codematch import suggest_code_id

    known_guids = known_guids or {}
    labels: dict[str, list[str]] = {}
    for code, _, _ in existing.walk() if existing else ():
        labels.setdefault(code.label, []).append(code.id)
    warnings: list[str] = []
    parsed: dict[int, tuple[str, dict[str, object]]] = {}
    declared: dict[int, str] = {}
    for foreign, _ in _walk_foreign(codes):
        description, extras, problems = split_extras(foreign.description)
        warnings += [f"code {foreign.name!r}: {p}" for p in problems]
        parsed[id(foreign)] = (description, extras)
        declared_id = extras.get("id")
        if isinstance(declared_id, str) and CODE_ID.fullmatch(declared_id):
            if declared_id in declared.values():
                warnings.append(
                    f"code {foreign.name!r}: id {declared_id!r} is used twice; a new id was given"
                )
            else:
                declared[id(foreign)] = declared_id
    taken = set(declared.values())
    by_id: dict[str, Code] = {}
    guids: dict[str, str] = {}
    by_guid: dict[str, str] = {}
    seen_guids: set[str] = set()

    def convert(foreign: _ForeignCode, parent_id: str | None) -> Code:
        description, extras = parsed[id(foreign)]
        label = foreign.name if foreign.name.strip() else "(unnamed)"
        code_id = declared.get(id(foreign))
        if code_id is None:
            candidates = [known_guids.get(_guid_key(foreign.guid))]
            same_label = labels.get(label, [])
            candidates.append(same_label[0] if len(same_label) == 1 else None)
            code_id = next((c for c in candidates if c and c not in taken), None)
            if code_id is None:
                code_id = suggest_code_id(label, parent_id, taken)
            taken.add(code_id)
        code = Code(id=code_id, label=label, description=description)
        if foreign.color:
            if _RGB.fullmatch(foreign.color.strip()):
                code.color = normalize_color(foreign.color.strip())
            else:
                warnings.append(f"code {label!r}: colour {foreign.color!r} is not #rrggbb; dropped")
        for key in _EXTRA_TEXT:
            value = extras.get(key)
            if isinstance(value, str):
                setattr(code, key, value)
            elif value is not None:
                warnings.append(f"code {label!r}: {key} in the qualcode block is not text")
        for key in _EXTRA_LISTS:
            value = extras.get(key)
            if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
                setattr(code, key, list(value))
            elif value is not None:
                warnings.append(
                    f"code {label!r}: {key} in the qualcode block is not a list of texts"
                )
        warnings.extend(f"code {label!r}: {problem}" for problem in _read_rules(code, extras))
        by_id[code_id] = code
        if _GUID.fullmatch(foreign.guid.strip()):
            key = _guid_key(foreign.guid)
            if key in seen_guids:
                warnings.append(f"code {label!r}: its GUID is used twice in the file")
            else:
                seen_guids.add(key)
                guids[code_id] = foreign.guid.strip()
                by_guid[key] = code_id
        else:
            warnings.append(f"code {label!r}: {foreign.guid!r} is not a GUID")
        code.children = [convert(child, code_id) for child in foreign.children]
        return code

    try:
        top = [convert(code, None) for code in codes]
    except RecursionError:
        raise ExchangeError("the code tree is nested too deeply") from None
    if n := sum(not code.codable for code, _ in _walk_foreign(codes)):
        warnings.append(
            f"{_count(n, 'code')} marked not codable (categories) became ordinary "
            "codes: qualcode lets every code be applied"
        )
    if language is None:
        cjk = re.compile("[\u3400-\u9fff]")
        language = "zh" if any(cjk.search(c.label) for c in by_id.values()) or not by_id else "en"
    codebook = Codebook(name=name, codes=top, language=language)
    validate_codebook(codebook)
    return ReadCodebook(codebook, guids, by_guid, warnings)


def read_qdc(
    path: str | Path, *, existing: Codebook | None = None, known_guids: dict[str, str] | None = None
) -> ReadCodebook:
    """Read a ``.qdc`` file. It carries no codebook name: ``existing``'s header is kept when
    given, else the file's stem names the codebook."""
    path = Path(path)
    # A codebook is kilobytes; the guard's per-member limit keeps a huge or endless file
    # (a named pipe, a sparse file) from being read into memory at all.
    data = read_limited(path, DEFAULT_LIMITS.max_member, error=ExchangeError)
    root = parse_xml(data, path)
    if root.tag != "CodeBook":
        raise ExchangeError(
            f"not a REFI-QDA codebook: the root element is <{root.tag}>, not <CodeBook>"
            + (
                " (a .qde project file? use: qualcode import-qdpx)" if root.tag == "Project" else ""
            ),
            path=path,
        )
    try:
        codes = _read_codes(_kid(root, "Codes"))
    except RecursionError:
        raise ExchangeError("the code tree is nested too deeply", path=path) from None
    if not codes:
        raise ExchangeError("the codebook file holds no codes", path=path)
    if existing is not None:
        name, language = existing.name, existing.language
    else:
        name, language = path.stem, None
    try:
        result = build_codebook(
            codes, name, existing=existing, known_guids=known_guids, language=language
        )
    except CodebookError as error:
        raise ExchangeError(error.message, path=path) from None
    if existing is not None:
        result.codebook.description = existing.description
    if sets := _kids(_kid(root, "Sets"), "Set"):
        result.warnings.append(
            f"{_count(len(sets), 'set')} of codes not imported: qualcode has no sets"
        )
    return result


def read_codebook_file(
    path: str | Path, *, existing: Codebook | None = None, known_guids: dict[str, str] | None = None
) -> ReadCodebook:
    """A codebook from a ``.qdc`` (REFI-QDA) or ``.yaml``/``.yml`` (ours) file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".qdc":
        return read_qdc(path, existing=existing, known_guids=known_guids)
    if suffix in (".yaml", ".yml"):
        return ReadCodebook(load_codebook(path), {}, {})
    raise ExchangeError("a codebook file ends with .qdc (REFI-QDA) or .yaml (qualcode)", path=path)


# --- codebooks: a project's working codebook in and out -----------------------------------------


def _project_code_guids(project: Project, codebook: Codebook) -> dict[str, str]:
    return code_guids(codebook, project_namespace(project), project.exchange_guids("code"))


def export_codebook(project: Project, path: str | Path) -> int:
    """Write the project's working codebook to ``path``: ``.qdc`` (REFI-QDA), ``.yaml``
    (ours) or ``.csv`` (Taguette's codebook table, :func:`taguette_rows`), by the extension.
    Returns the number of codes."""
    path = Path(path)
    codebook = project.codebook()
    suffix = path.suffix.lower()
    if suffix == ".qdc":
        write_qdc(codebook, path, _project_code_guids(project, codebook))
    elif suffix in (".yaml", ".yml"):
        save_codebook(codebook, path)
    elif suffix == ".csv":
        from .tables import write_table

        write_table(
            path, TAGUETTE_COLUMNS, taguette_rows(codebook, project.code_counts()), fmt="csv"
        )
    else:
        raise ExchangeError(
            "give the codebook file the ending .qdc (REFI-QDA, for NVivo, "
            "ATLAS.ti, MAXQDA ...), .yaml (qualcode), .csv (for Taguette) or "
            ".docx (a Word table for an appendix)",
            path=path,
        )
    return len(codebook.by_id())


TAGUETTE_COLUMNS = ("tag", "parent", "description", "number of highlights")
"""The columns of Taguette's own codebook CSV export, which its codebook import reads (a
``tag`` column naming each tag; ``parent`` and ``description`` when present)."""


def taguette_rows(
    codebook: Codebook, counts: dict[str, int] | None = None
) -> list[tuple[str, str, str, int]]:
    """The codebook as Taguette's codebook table: one row per code, parents first, the tag
    named by the code's label and its parent by the parent's tag. Taguette keeps only the
    first of two tags with one name, so a label several codes share is told apart by the
    code's id (``知晓度 (problems.awareness)``). ``counts``: codings per code id."""
    shared = {label.casefold() for label in duplicate_labels(codebook)}
    tags = {
        code.id: (
            f"{code.label.strip()} ({code.id})"
            if code.label.strip().casefold() in shared
            else code.label.strip()
        )
        for code, _, _ in codebook.walk()
    }
    counts = counts or {}
    return [
        (tags[code.id], tags[parent.id] if parent else "", code.description, counts.get(code.id, 0))
        for code, parent, _ in codebook.walk()
    ]


@dataclass(slots=True)
class CodebookImport:
    """What :func:`import_codebook` did to a project's working codebook."""

    codes: int  # codes in the working codebook afterwards
    merge: CodebookMerge | None = None  # what the merge did, when merged
    warnings: list[str] = field(default_factory=list)


def import_codebook(
    project: Project, path: str | Path, *, merge: bool = False, prefer: str | None = None
) -> CodebookImport:
    """Replace the project's working codebook with a ``.qdc`` or ``.yaml`` file, or with
    ``merge`` merge the file into it by code id (:func:`qualcode.codebook.merge_codebooks`).

    A merge with conflicts and no ``prefer`` raises :class:`MergeConflictError` (carrying the
    list) and changes nothing; so does a replacement that would orphan codings.
    """
    existing = project.codebook()
    guids = _project_code_guids(project, existing)
    known = {_guid_key(guid): code_id for code_id, guid in guids.items()}
    incoming = read_codebook_file(path, existing=existing, known_guids=known)
    result = CodebookImport(codes=0, warnings=list(incoming.warnings))
    codebook = incoming.codebook
    if merge:
        merged = merge_codebooks(existing, codebook, prefer)
        if merged.unresolved:
            raise MergeConflictError(merged, f"the project's codebook and {Path(path).name}")
        result.merge = merged
        codebook = merged.codebook
    with project.transaction():
        project.set_codebook(codebook, source=Path(path).name)
        ids = set(codebook.by_id())
        project.set_exchange_guids(
            "code",
            {
                code_id: guid
                for code_id, guid in incoming.guids.items()
                if code_id in ids and _guid_key(guid) != _guid_key(guids.get(code_id, ""))
            },
        )
    result.codes = len(codebook.by_id())
    return result


# --- archives --------------------------------------------------------------------------------------


def _open_archive(path: Path, limits: ArchiveLimits) -> Archive:
    """A ``.qdpx`` opened through the archive guard (:mod:`qualcode.archives`): member count,
    names, links and encryption checked on opening, then every member inflated once within
    the limits (counted, dropped), so a bomb is refused whether or not the project names it."""
    archive = Archive(
        path,
        limits=limits,
        error=ExchangeError,
        not_an_archive="not a REFI-QDA project archive (.qdpx is a zip file)",
    )
    try:
        archive.check_all()
    except BaseException:
        archive.close()
        raise
    archive.read_total = 0  # the reads that follow count afresh against the total
    return archive


# --- positions ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """How a program counted positions: UTF-16 code units or code points; a CRLF as one or two."""

    utf16: bool = False
    crlf_one: bool = False

    def __str__(self) -> str:
        units = "UTF-16 code units" if self.utf16 else "code points"
        return f"{units}, CRLF counted as {'one' if self.crlf_one else 'two'}"


STANDARD = Reading()
_READINGS = (Reading(False, False), Reading(True, False), Reading(False, True), Reading(True, True))


def normalise_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def position_map(raw: str, reading: Reading) -> array | None:
    """Position in ``raw`` as ``reading`` counts -> offset in the stored (``\\n``) text;
    -1 inside a character. None when every reading counts ``raw`` alike (the identity)."""
    if "\r" not in raw and not _SPECIAL.search(raw):
        return None
    out = array("i")
    stored = done = 0
    for match in _SPECIAL.finditer(raw):
        plain = match.start() - done
        out.extend(range(stored, stored + plain))
        stored += plain
        if match.group() == "\r\n":
            if not reading.crlf_one:
                out.append(stored)  # before the \r; the \r is dropped from the stored text
            out.append(stored)  # before the \n
            stored += 1
        else:
            out.append(stored)
            if reading.utf16:
                out.append(-1)  # between the two halves of a surrogate pair
            stored += 1
        done = match.end()
    plain = len(raw) - done
    out.extend(range(stored, stored + plain))
    out.append(stored + plain)
    return out


def _selection_fits(
    positions: array | None, length: int, start: int, end: int
) -> tuple[int, int] | None:
    """Stored ``(start, end)`` of a selection, or None when it does not fit the text."""
    if positions is None:
        return (start, end) if 0 <= start < end <= length else None
    if not 0 <= start < end < len(positions):
        return None
    s, e = positions[start], positions[end]
    if s < 0 or e < 0 or s >= e:
        return None
    return s, e


def _name_matches(name: str, text: str) -> bool:
    name = " ".join(name.split()).removesuffix("…").removesuffix("...").strip()
    return len(name) >= 2 and " ".join(text.split()).startswith(name)


# --- projects: reading ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Selection:
    guid: str
    name: str
    start: int
    end: int
    creating_user: str
    created: str
    changed: str
    description: str
    note_refs: list[str]
    codings: list[Element]


@dataclass(slots=True)
class _Source:
    guid: str
    name: str
    element: Element
    raw: str | None  # None when the text is not in the archive
    missing: str  # why the text is missing
    selections: list[_Selection]


@dataclass(slots=True)
class QdpxImport:
    """What :func:`import_qdpx` built, and everything it could not bring in, with why."""

    project: Path
    origin: str
    codes: int = 0
    transcripts: list[str] = field(default_factory=list)
    codings: int = 0
    coders: list[str] = field(default_factory=list)
    memos: int = 0
    cases: int = 0
    reading: Reading = STANDARD
    reading_evidence: str = ""
    missing_sources: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unreadable_dates: list[str] = field(default_factory=list)  # as written in the file

    def lines(self) -> list[str]:
        """A summary for a terminal, then what is missing or was skipped."""
        summary = (
            f"imported {self.project} from {self.origin or 'an unnamed program'}: "
            f"{self.codes} codes, {len(self.transcripts)} transcripts, {self.codings} codings, "
            f"{len(self.coders)} coders, {self.memos} memos, {self.cases} cases with attributes"
        )
        lines = [summary]
        if self.reading_evidence:
            lines.append(f"positions read as {self.reading} ({self.reading_evidence})")
        if self.missing_sources:
            lines.append(
                f"{len(self.missing_sources)} sources are referenced but their text is "
                "not in the archive:"
            )
            lines += [f"  missing: {name}" for name in self.missing_sources]
        lines += [f"skipped: {line}" for line in self.skipped]
        lines += [f"warning: {line}" for line in self.warnings]
        return lines


class _ProjectReader:
    """Reads a ``project.qde`` and the sources it names into what the store takes."""

    def __init__(self, root: Element, archive: Archive, report: QdpxImport):
        self.root = root
        self.archive = archive
        self.report = report
        self.users: dict[str, str] = {}  # GUID key -> coder name
        self.user_guids: dict[str, str] = {}  # coder name -> GUID as written
        self.notes: dict[str, Element] = {}  # GUID key -> Note
        self.used_notes: set[str] = set()

    # users and notes

    def read_users(self) -> None:
        for user in _kids(_kid(self.root, "Users"), "User"):
            guid = user.get("guid", "")
            name = (user.get("name") or user.get("id") or "").strip()
            name = name or f"user-{_guid_key(guid)[:8]}"
            self.users[_guid_key(guid)] = name
            self.user_guids.setdefault(name, guid)
        for note in _kids(_kid(self.root, "Notes"), "Note"):
            self.notes[_guid_key(note.get("guid", ""))] = note

    def coder(self, *guids: str | None) -> str:
        for guid in guids:
            if guid:
                key = _guid_key(guid)
                if key not in self.users:
                    self.users[key] = f"user-{key[:8]}"
                    self.user_guids.setdefault(self.users[key], guid)
                return self.users[key]
        return "unknown"

    def note_text(self, note: Element, *, with_name: bool) -> str:
        content = _kid_text(note, "PlainTextContent")
        if not content and note.get("plainTextPath"):
            text, why = self.source_text(
                note.get("plainTextPath", ""), f"note {note.get('name')!r}"
            )
            content = normalise_line_ends(text) if text is not None else ""
            if text is None:
                self.report.warnings.append(f"note {note.get('name', '')!r}: {why}")
        parts = [_kid_text(note, "Description"), content]
        name = note.get("name", "").strip()
        if with_name and name and not content.startswith(name):
            parts.insert(0, name)
        return "\n\n".join(p.strip("\n") for p in parts if p.strip())

    def notes_for(self, refs: Iterable[str]) -> list[Element]:
        found = []
        for ref in refs:
            note = self.notes.get(_guid_key(ref))
            if note is not None:
                self.used_notes.add(_guid_key(ref))
                found.append(note)
        return found

    # sources

    def source_text(self, path: str, what: str) -> tuple[str | None, str]:
        """The text a plainTextPath names, or None and why it is not there."""
        if path.startswith("internal://"):
            member = path[len("internal://") :]
            candidates = [f"sources/{member}", member]
        elif re.match(r"(relative|file|https?)://", path, re.IGNORECASE):
            return (
                None,
                f"its text is outside the archive ({path}); qualcode reads only the archive",
            )
        else:
            candidates = [f"sources/{path}", path]
        info = self.archive.find(*candidates)
        if info is None:
            return None, f"{path} is not in the archive"
        data = self.archive.read(info)
        text, encoding = _decode_source(data, f"{what} ({info.filename})", self.archive.path)
        if encoding != "utf-8":
            self.report.warnings.append(
                f"{what}: the text is {encoding}, not UTF-8 as REFI-QDA says; read as such"
            )
        return text, ""

    def read_sources(self) -> list[_Source]:
        sources = []
        report = self.report
        container = _kid(self.root, "Sources")
        for element in container if container is not None else ():
            kind = element.tag
            if kind == "TextSource":
                sources.append(self.text_source(element, element.get("name", "")))
                continue
            name = element.get("name") or element.get("guid", "")
            representation = _kid(element, "Representation") if kind == "PDFSource" else None
            selections = [c for c in element if c.tag.endswith("Selection")]
            codings = sum(len(_kids(s, "Coding")) for s in selections) + len(
                _kids(element, "Coding")
            )
            if representation is not None:
                sources.append(self.text_source(representation, name))
                if selections:
                    report.skipped.append(
                        f"{kind} {name!r}: {_count(len(selections), 'selection')} on its pages "
                        f"({_count(codings, 'coding')}); only its text representation is read"
                    )
            else:
                detail = f" ({_count(codings, 'coding')} on it)" if codings else ""
                report.skipped.append(f"{kind} {name!r}{detail}: qualcode codes text only")
        return sources

    def text_source(self, element: Element, name: str) -> _Source:
        guid = element.get("guid", "")
        path = element.get("plainTextPath", "")
        name = name.strip() or Path(path.split("://")[-1]).name or guid
        inline = _kid(element, "PlainTextContent")
        if inline is not None:
            raw, missing = inline.text or "", ""
        elif path:
            raw, missing = self.source_text(path, f"source {name!r}")
        else:
            raw, missing = None, "it names no plain text (no plainTextPath)"
        selections = []
        for selection in _kids(element, "PlainTextSelection"):
            try:
                start = int(selection.get("startPosition", ""))
                end = int(selection.get("endPosition", ""))
            except ValueError:
                self.report.skipped.append(
                    f"selection {selection.get('guid', '')} in {name!r}: positions "
                    f"{selection.get('startPosition')!r}, {selection.get('endPosition')!r} are "
                    "not numbers"
                )
                continue
            selections.append(
                _Selection(
                    guid=selection.get("guid", ""),
                    name=selection.get("name", ""),
                    start=start,
                    end=end,
                    creating_user=selection.get("creatingUser", ""),
                    created=selection.get("creationDateTime", ""),
                    changed=selection.get("modifiedDateTime", ""),
                    description=_kid_text(selection, "Description"),
                    note_refs=[r.get("targetGUID", "") for r in _kids(selection, "NoteRef")],
                    codings=_kids(selection, "Coding"),
                )
            )
        return _Source(guid, name, element, raw, missing, selections)


def _decode_source(data: bytes, what: str, path: Path) -> tuple[str, str]:
    """A plain text source's text: UTF-8 as the standard says, else a legacy Chinese encoding
    (the reader's detection); refused when the bytes are not text."""
    from ..transcripts import decode

    if not data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in data:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        else:
            sample = text[:20_000]
            controls = len(re.findall(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]", sample))
            if controls <= len(sample) // 100:
                return text, "utf-8"
    try:
        return decode(data, what)
    except TranscriptError as error:
        raise ExchangeError(
            f"refused: {what} is not text: {error.message}; nothing was imported", path=path
        ) from None


ORIGIN_LINE_ENDS: tuple[tuple[str, LineEnds, str], ...] = (
    ("qc ", "lf", "qc reads its sources line by line in text mode"),
)
"""Programs (by the start of a project's ``origin``) known to count a CRLF line end as one
character, and why: with no stronger evidence in the file, their convention is used."""


def origin_line_ends(origin: str) -> tuple[LineEnds, str]:
    """How the program that wrote a project counts line ends (``auto``: as the standard, or
    not known), and why."""
    for prefix, line_ends, why in ORIGIN_LINE_ENDS:
        if origin.strip().lower().startswith(prefix):
            return line_ends, why
    return "auto", ""


def choose_reading(
    sources: list[_Source],
    units: PositionUnits = "auto",
    line_ends: LineEnds = "auto",
    origin: str = "",
) -> tuple[Reading, str]:
    """The reading of positions to use, and the evidence (empty when it did not matter).
    ``origin`` (the project's creating program) breaks ties: a program known to count a CRLF
    as one character (:data:`ORIGIN_LINE_ENDS`) is read so unless the selections say
    otherwise; ``line_ends`` other than auto overrides both."""
    candidates = [
        r
        for r in _READINGS
        if (units == "auto" or r.utf16 == (units == "utf16"))
        and (line_ends == "auto" or r.crlf_one == (line_ends == "lf"))
    ]
    texts = [(s, s.raw) for s in sources if s.raw is not None and s.selections]
    special = [(s, raw) for s, raw in texts if position_map(raw, STANDARD) is not None]
    if len(candidates) == 1 or not special:
        return candidates[0], ""
    preferred, why = origin_line_ends(origin) if line_ends == "auto" else ("auto", "")
    if preferred == "lf":  # the origin's convention first: min() below keeps it on ties
        candidates.sort(key=lambda r: not r.crlf_one)
    scores = []
    for reading in candidates:
        misfits = matches = 0
        for source, raw in special:
            positions = position_map(raw, reading)
            stored = normalise_line_ends(raw)
            for selection in source.selections:
                span = _selection_fits(positions, len(stored), selection.start, selection.end)
                if span is None:
                    misfits += 1
                elif selection.name and _name_matches(selection.name, stored[span[0] : span[1]]):
                    matches += 1
        scores.append((misfits, -matches, reading))
    best = min(scores, key=lambda s: (s[0], s[1]))  # min() keeps the first (standard) on ties
    total = sum(len(s.selections) for s, _ in special)
    evidence = (
        f"{-best[1]} of {total} selection names match the text, {best[0]} selections do not fit"
    )
    if why and best[2].crlf_one and [s[:2] for s in scores].count(best[:2]) > 1:
        evidence += (
            f"; written by {origin.strip()}, which counts a CRLF line end as one "
            f"character ({why}); give --line-ends as-written if it did not"
        )
    return best[2], evidence


# --- projects: importing -------------------------------------------------------------------------


def _transcript_name(name: str, taken: set[str]) -> str:
    stem = name
    for suffix in _TEXT_SUFFIXES:
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    stem = " ".join(stem.replace("/", "_").split()) or "source"
    candidate, n = stem, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem} ({n})"
    taken.add(candidate)
    return candidate


def _variable_value(value: Element) -> str | None:
    for kind in (
        "TextValue",
        "BooleanValue",
        "IntegerValue",
        "FloatValue",
        "DateValue",
        "DateTimeValue",
    ):
        found = _kid(value, kind)
        if found is not None:
            return (found.text or "").strip() if kind != "TextValue" else found.text or ""
    return None


def import_qdpx(
    path: str | Path,
    target: str | Path,
    *,
    units: PositionUnits = "auto",
    line_ends: LineEnds = "auto",
    limits: ArchiveLimits = DEFAULT_LIMITS,
    progress: Progress = SILENT,
) -> QdpxImport:
    """Build a NEW project in ``target`` from a ``.qdpx`` archive (its sources through
    :mod:`qualcode.pipeline`, reporting to ``progress``).

    Text sources become transcripts (their text stored as written, line ends normalised,
    speaker turns parsed), codes the working codebook, PlainTextSelection codings codings (by
    the user who made them), users coders, cases and variables attributes, notes memos
    (on codings, on transcripts, on the project). What cannot be brought in (sources whose
    text is not in the archive, pictures, audio, video, sets, links, graphs) is listed in the
    result. The project is built in a temporary folder beside ``target`` and moved into place
    only when complete: a refused or failed import leaves nothing behind.
    """
    path, target = Path(path), Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ExchangeError("this folder already exists; import into a new folder", path=target)
    report = QdpxImport(project=target, origin="")
    archive = _open_archive(path, limits)
    try:
        plan = _plan_import(archive, report, units, line_ends)
    except RecursionError:
        raise ExchangeError("the project file is nested too deeply", path=path) from None
    finally:
        archive.close()
    from ..store import building_beside

    with building_beside(target, "importing") as building:
        _build_project(plan, building, report, progress)
    return report


@dataclass(slots=True)
class _Plan:
    name: str
    codebook: Codebook
    code_guids: dict[str, str]
    user_guids: dict[str, str]
    transcripts: list[tuple[str, str, str, str]]  # name, text, source GUID, origin label
    codings: list[Coding]
    transcript_memos: list[tuple[str, str, str, str, str]]  # transcript, coder, text, times
    project_memos: list[tuple[str, str, str, str]]  # coder, text, created, changed
    attributes: dict[str, dict[str, str]]
    variable_guids: dict[str, str] = field(default_factory=dict)
    case_guids: dict[str, str] = field(default_factory=dict)
    created: str = ""  # when the project was created, in the store's format
    formats: dict[str, str] = field(default_factory=dict)  # transcript -> source format


def _plan_import(
    archive: Archive, report: QdpxImport, units: PositionUnits, line_ends: LineEnds
) -> _Plan:
    qde = archive.find("project.qde")
    if qde is None:
        others = [i.filename for i in archive.members.values() if i.filename.endswith(".qde")]
        raise ExchangeError(
            "no project.qde in the archive: not a REFI-QDA project"
            + (f" (found {', '.join(others)})" if others else ""),
            path=archive.path,
        )
    root = parse_xml(archive.read(qde), f"{archive.path}!{qde.filename}")
    if root.tag != "Project":
        raise ExchangeError(
            f"{qde.filename}: the root element is <{root.tag}>, not <Project>", path=archive.path
        )
    report.origin = root.get("origin", "")
    reader = _ProjectReader(root, archive, report)
    reader.read_users()
    name = root.get("name", "").strip() or archive.path.stem
    read = _project_codebook(root, name, report, archive.path)

    sources = reader.read_sources()
    reading, evidence = choose_reading(sources, units, line_ends, report.origin)
    report.reading, report.reading_evidence = reading, evidence
    planner = _SourcePlanner(reader, read.by_guid, reading)
    for source in sources:
        planner.plan(source)
    report.transcripts = [t[0] for t in planner.transcripts]
    attributes, variable_guids, case_guids = _read_attributes(
        root, sources, planner.source_names, report
    )

    # Notes attached to nothing we keep (the project, codes, links ...) become project memos.
    project_memos = []
    for key, note in reader.notes.items():
        if key in reader.used_notes:
            continue
        if text := reader.note_text(note, with_name=True):
            coder = reader.coder(note.get("creatingUser")) if note.get("creatingUser") else ""
            project_memos.append(
                (
                    coder,
                    text,
                    _our_datetime(note.get("creationDateTime"), report.unreadable_dates),
                    _our_datetime(note.get("modifiedDateTime"), report.unreadable_dates),
                )
            )
    for tag, what in (("Sets", "Set"), ("Links", "Link"), ("Graphs", "Graph")):
        if n := len(_kids(_kid(root, tag), what)):
            report.skipped.append(f"{_count(n, what.lower())}: qualcode has no {what.lower()}s")
    created = _our_datetime(root.get("creationDateTime"), report.unreadable_dates)
    # Each source's format (md, docx, srt ...), which qualcode writes in its block.
    _, header, _ = split_extras(_kid_text(root, "Description"))
    written = header.get("source_formats")
    formats = {
        planner.source_names[key]: fmt
        for guid, fmt in (written.items() if isinstance(written, dict) else ())
        if (key := _guid_key(str(guid))) in planner.source_names
        and isinstance(fmt, str)
        and re.fullmatch(r"[a-z0-9_-]{1,20}", fmt)
    }
    if unreadable := report.unreadable_dates:
        shown = ", ".join(repr(stamp) for stamp in dict.fromkeys(unreadable[:3]))
        report.warnings.append(
            f"{_count(len(unreadable), 'date')} could not be read (such as {shown}); the "
            "codings, memos or project they belong to carry the time of this import instead"
        )
    return _Plan(
        name=name,
        codebook=read.codebook,
        code_guids=dict(read.guids),
        user_guids=dict(reader.user_guids),
        transcripts=planner.transcripts,
        codings=planner.codings,
        transcript_memos=planner.memos,
        project_memos=project_memos,
        attributes=attributes,
        variable_guids=variable_guids,
        case_guids=case_guids,
        created=created,
        formats=formats,
    )


def _project_codebook(root: Element, name: str, report: QdpxImport, path: Path) -> ReadCodebook:
    """The project's codebook; our block in the project's Description names it."""
    _, header, problems = split_extras(_kid_text(root, "Description"))
    report.warnings += problems

    def text(key: str) -> str | None:
        value = header.get(key)
        return value if isinstance(value, str) and value else None

    try:
        read = build_codebook(
            _read_codes(_kid(_kid(root, "CodeBook"), "Codes")),
            text("codebook_name") or name,
            language=text("codebook_language"),
        )
    except CodebookError as error:
        raise ExchangeError(f"the codebook cannot be read: {error.message}", path=path) from None
    read.codebook.description = text("codebook_description") or ""
    report.warnings += read.warnings
    report.codes = len(read.codebook.by_id())
    return read


class _SourcePlanner:
    """Turns text sources into transcripts, codings and memos, placing selections with the
    chosen reading of positions."""

    def __init__(self, reader: _ProjectReader, code_ids: dict[str, str], reading: Reading):
        self.reader = reader
        self.report = reader.report
        self.code_ids = code_ids  # code GUID key -> our id
        self.reading = reading
        self.fallback_user = reader.root.get("creatingUserGUID")
        self.taken: set[str] = set()
        self.transcripts: list[tuple[str, str, str, str]] = []
        self.source_names: dict[str, str] = {}  # source GUID key -> transcript name
        self.codings: list[Coding] = []
        self.memos: list[tuple[str, str, str, str, str]] = []
        self.seen: set[tuple[str, int, int, str, str]] = set()

    def plan(self, source: _Source) -> None:
        report, reader = self.report, self.reader
        whole = _kids(source.element, "Coding")
        if source.raw is None:
            n = sum(len(s.codings) for s in source.selections) + len(whole)
            detail = (
                f" ({_count(len(source.selections), 'selection')}, "
                f"{_count(n, 'coding')} not imported)"
                if n or source.selections
                else ""
            )
            report.missing_sources.append(f"{source.name}: {source.missing}{detail}")
            return
        name = _transcript_name(source.name, self.taken)
        stored = normalise_line_ends(source.raw)
        if not stored.strip():
            report.warnings.append(f"{name}: the source has no text")
        self.transcripts.append((name, stored, source.guid, source.name))
        self.source_names[_guid_key(source.guid)] = name
        positions = position_map(source.raw, self.reading)
        unplaced = 0
        for selection in source.selections:
            span = _selection_fits(positions, len(stored), selection.start, selection.end)
            if span is None:
                unplaced += 1
            elif selection.codings:
                for coding in selection.codings:
                    self.add(name, span, coding, selection)
            else:
                self.uncoded(name, stored, span, selection)
        if unplaced:
            report.skipped.append(
                f"{name}: {_count(unplaced, 'selection')} (and their codings) do not fit its "
                f"text ({len(stored)} characters) when positions are read as {self.reading}"
            )
        if whole and stored:
            report.warnings.append(
                f"{name}: {len(whole)} codings of the whole source were "
                "imported as codings of its whole text"
            )
            for coding in whole:
                self.add(name, (0, len(stored)), coding, None)
        memos: list[tuple[str, str, str, str]] = []
        for note in reader.notes_for(
            r.get("targetGUID", "") for r in _kids(source.element, "NoteRef")
        ):
            coder = reader.coder(note.get("creatingUser")) if note.get("creatingUser") else ""
            memos.append(
                (
                    coder,
                    reader.note_text(note, with_name=False),
                    _our_datetime(note.get("creationDateTime"), report.unreadable_dates),
                    _our_datetime(note.get("modifiedDateTime"), report.unreadable_dates),
                )
            )
        # QualCoder keeps a source's memo in its Description; qualcode writes its memos there
        # too (see qdpx_bytes), so a Description that is just those memos is not a memo again.
        description = _kid_text(source.element, "Description").strip()
        if description and description != _memos_description(
            [(coder, text) for coder, text, _, _ in memos]
        ):
            element = source.element
            coder = reader.coder(element.get("creatingUser")) if element.get("creatingUser") else ""
            memos.insert(
                0,
                (
                    coder,
                    description,
                    _our_datetime(element.get("creationDateTime"), report.unreadable_dates),
                    _our_datetime(element.get("modifiedDateTime"), report.unreadable_dates),
                ),
            )
        self.memos += [(name, *memo) for memo in memos]

    def add(
        self, name: str, span: tuple[int, int], coding: Element, selection: _Selection | None
    ) -> None:
        reader = self.reader
        code_ref = _kid(coding, "CodeRef")
        target = code_ref.get("targetGUID", "") if code_ref is not None else ""
        code_id = self.code_ids.get(_guid_key(target))
        if code_id is None:
            self.report.skipped.append(
                f"a coding in {name} refers to no code of the codebook ({target or 'no CodeRef'})"
            )
            return
        coder = reader.coder(
            coding.get("creatingUser"),
            selection.creating_user if selection else None,
            self.fallback_user,
        )
        key = (name, *span, code_id, coder)
        if key in self.seen:
            self.report.warnings.append(
                f"{name} {span[0]}:{span[1]} {code_id} by {coder} is coded twice; kept once"
            )
            return
        self.seen.add(key)
        memo = [selection.description] if selection and selection.description else []
        refs = [r.get("targetGUID", "") for r in _kids(coding, "NoteRef")]
        notes = reader.notes_for(refs + (selection.note_refs if selection else []))
        # qualcode writes a coding memo as the selection's Description (QualCoder reads that)
        # and as a Note (others read that): the same text once.
        memo += [
            text for note in notes if (text := reader.note_text(note, with_name=False)) not in memo
        ]
        unreadable = self.report.unreadable_dates
        created = _our_datetime(coding.get("creationDateTime"), unreadable) or _our_datetime(
            selection.created if selection else None, unreadable
        )
        changed = _our_datetime(selection.changed if selection else None, unreadable) or created
        self.codings.append(
            Coding(
                0,
                name,
                span[0],
                span[1],
                code_id,
                coder,
                memo="\n\n".join(p for p in memo if p.strip()),
                created=created,
                changed=changed,
            )
        )

    def uncoded(self, name: str, stored: str, span: tuple[int, int], selection: _Selection) -> None:
        """A selection without codes but with a comment (an ATLAS.ti quotation): kept in its
        author's memo on the transcript, with the quote and where it is."""
        notes = self.reader.notes_for(selection.note_refs)
        text = "\n\n".join(
            [selection.description] + [self.reader.note_text(n, with_name=False) for n in notes]
        ).strip()
        if not text:
            return
        coder = self.reader.coder(selection.creating_user, self.fallback_user)
        quote = _snippet(stored[span[0] : span[1]], 60)
        unreadable = self.report.unreadable_dates
        self.memos.append(
            (
                name,
                coder,
                f"「{quote}」({span[0]}–{span[1]}): {text}",
                _our_datetime(selection.created, unreadable),
                _our_datetime(selection.changed, unreadable),
            )
        )


def _read_attributes(
    root: Element,
    sources: list[_Source],
    source_names: dict[str, str],
    report: QdpxImport,
) -> tuple[dict[str, dict[str, str]], dict[str, str], dict[str, str]]:
    """Case name -> {variable: value}: a case with sources gives its values to each of its
    transcripts' cases (a case is one transcript in qualcode); a case without one stays a
    case of its own. Values a source carries itself go to its transcript. Also the GUIDs of
    variables (by name) and of cases that map to one of ours (by our case name)."""
    variables = {
        _guid_key(v.get("guid", "")): v.get("name", "") or v.get("guid", "")
        for v in _kids(_kid(root, "Variables"), "Variable")
    }
    variable_guids = {
        v.get("name", "") or v.get("guid", ""): v.get("guid", "")
        for v in _kids(_kid(root, "Variables"), "Variable")
    }
    case_guids: dict[str, str] = {}
    table: dict[str, dict[str, str]] = {}

    def values(element: Element) -> dict[str, str]:
        found = {}
        for value in _kids(element, "VariableValue"):
            ref = _kid(value, "VariableRef")
            name = variables.get(_guid_key(ref.get("targetGUID", ""))) if ref is not None else None
            text = _variable_value(value)
            if name and text is not None:
                found[name] = text
        return found

    for source in sources:
        name = source_names.get(_guid_key(source.guid))
        if name and (found := values(source.element)):
            table.setdefault(name, {}).update(found)
    for case in _kids(_kid(root, "Cases"), "Case"):
        found = values(case)
        case_name = (
            case.get("name") or ""
        ).strip() or f"case-{_guid_key(case.get('guid', ''))[:8]}"
        refs = [
            source_names.get(_guid_key(r.get("targetGUID", ""))) for r in _kids(case, "SourceRef")
        ]
        names = [n for n in refs if n]
        if len(refs) > len(names):
            report.warnings.append(
                f"case {case_name!r}: {len(refs) - len(names)} of its sources were not imported"
            )
        if len(names) > 1:
            report.warnings.append(
                f"case {case_name!r} holds {len(names)} sources; each "
                "transcript's case got its variables"
            )
        ours = names or ([case_name] if not refs else [])
        for name in ours:
            table.setdefault(name, {}).update(found)
        if len(ours) == 1:
            case_guids.setdefault(ours[0], case.get("guid", ""))
    table = {case: values for case, values in table.items() if values}
    return table, variable_guids, {c: g for c, g in case_guids.items() if c in table}


def _build_project(plan: _Plan, folder: Path, report: QdpxImport, progress: Progress) -> None:
    from .. import pipeline
    from ..store import Project
    from ..transcripts import parse_transcript

    def read(text: str, fmt: str) -> ParsedTranscript:
        parsed = parse_transcript(text, "txt")  # the stored text, as written
        parsed.format = fmt  # what it was before it travelled (md, docx, srt ...)
        return parsed

    with Project.create(folder, name=plan.name, created=plan.created or None) as project:
        project.set_codebook(plan.codebook)
        prepared = pipeline.prepare(
            project,
            [
                pipeline.Source(
                    name,
                    partial(read, text, plan.formats.get(name, "txt")),
                    f"qdpx:{label}",
                    size=len(text) or 1,
                )
                for name, text, _, label in plan.transcripts
            ],
            progress=progress,
        )
        with project.transaction():
            pipeline.write(project, prepared, progress=progress)
            for name in plan.user_guids:
                project.ensure_coder(name)
            report.codings = project.add_imported_codings(plan.codings)
            for transcript, coder, text, created, changed in plan.transcript_memos:
                project.add_imported_memo(transcript, coder, text, created=created, changed=changed)
            for coder, text, created, changed in plan.project_memos:
                project.add_imported_memo(None, coder, text, created=created, changed=changed)
            if plan.attributes:
                project.set_attributes(plan.attributes)
            project.set_exchange_guids("code", plan.code_guids)
            project.set_exchange_guids(
                "user",
                {name: guid for name, guid in plan.user_guids.items() if _GUID.fullmatch(guid)},
            )
            for kind, guids in (("variable", plan.variable_guids), ("case", plan.case_guids)):
                project.set_exchange_guids(
                    kind, {key: guid for key, guid in guids.items() if _GUID.fullmatch(guid)}
                )
            project.set_exchange_guids(
                "source",
                {name: guid for name, _, guid, _ in plan.transcripts if _GUID.fullmatch(guid)},
            )
        report.coders = project.coders()
        report.memos = len(project.memos())
        report.cases = len(plan.attributes)
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- projects: exporting -------------------------------------------------------------------------


@dataclass(slots=True)
class QdpxExport:
    """What :func:`export_qdpx` wrote."""

    path: Path
    codes: int = 0
    transcripts: int = 0
    codings: int = 0
    coders: int = 0
    memos: int = 0
    cases: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what other programs will stumble on


_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,17}")


def _memos_description(memos: list[tuple[str, str]]) -> str:
    """A transcript's memos ``(coder, text)`` as one Description, where QualCoder reads a
    source's memo: one memo as it is, several each after its coder's name."""
    if len(memos) == 1:
        return memos[0][1]
    return "\n\n".join(f"{coder}: {text}" if coder else text for coder, text in memos)


def qdpx_bytes(project: Project, progress: Progress = SILENT) -> tuple[bytes, QdpxExport]:
    """The project as a ``.qdpx`` archive: ``project.qde`` plus one UTF-8 ``.txt`` per
    transcript under ``sources/``; ``progress`` counts the transcripts written."""
    report = QdpxExport(path=Path())
    namespace = project_namespace(project)
    codebook = project.codebook()
    codes = code_guids(codebook, namespace, project.exchange_guids("code"))

    def recorded_or_derived(kind: str, names: Iterable[str]) -> dict[str, str]:
        recorded = project.exchange_guids(kind)
        return {
            n: recorded[n] if _GUID.fullmatch(recorded.get(n, "")) else _derived(namespace, kind, n)
            for n in names
        }

    codings = project.codings()
    memos = project.memos()
    all_codings = len(project.codings(status=None))
    if all_codings > len(codings):
        report.skipped.append(
            f"{all_codings - len(codings)} suggested or rejected codings "
            "(REFI-QDA has confirmed codings only)"
        )
    coders = sorted(
        {*project.coders(), *(c.coder for c in codings), *(m["coder"] for m in memos if m["coder"])}
    )
    users = recorded_or_derived("user", coders)
    names = project.transcript_names()
    sources = recorded_or_derived("source", names)

    root = Element(
        "Project",
        {
            "xmlns": NS_PROJECT,
            "name": _xml(project.name),
            "origin": _origin(),
        },
    )
    created = _xsd_datetime(project.meta("created"))
    if created:
        root.set("creationDateTime", created)
    if users:
        element = SubElement(root, "Users")
        for name in coders:
            SubElement(element, "User", {"guid": users[name], "name": _xml(name)})
    if codebook.codes:
        element = SubElement(SubElement(root, "CodeBook"), "Codes")
        for code in codebook.codes:
            _code_element(element, code, codes)

    attributes = project.attributes()
    attribute_names = project.attribute_names()
    case_transcripts = project.case_transcripts()
    used = [a for a in attribute_names if any(a in values for values in attributes.values())]
    variables = recorded_or_derived("variable", used)
    # A variable whose every value is a plain integer is typed so (losslessly: no "007").
    integer = {
        a: all(_INTEGER.fullmatch(v[a]) for v in attributes.values() if a in v) for a in used
    }
    if variables:
        element = SubElement(root, "Variables")
        for name in used:
            SubElement(
                element,
                "Variable",
                {
                    "guid": variables[name],
                    "name": _xml(name),
                    "typeOfVariable": "Integer" if integer[name] else "Text",
                },
            )
    cases = [c for c, values in attributes.items() if values or case_transcripts.get(c) is None]
    case_guids = recorded_or_derived("case", cases)
    if cases:
        element = SubElement(root, "Cases")
        for case in cases:
            case_element = SubElement(
                element, "Case", {"guid": case_guids[case], "name": _xml(case)}
            )
            for name in used:
                if name not in attributes[case]:
                    continue
                value = SubElement(case_element, "VariableValue")
                SubElement(value, "VariableRef", {"targetGUID": variables[name]})
                kind = "IntegerValue" if integer[name] else "TextValue"
                SubElement(value, kind).text = _xml(attributes[case][name])
            transcript = case_transcripts.get(case)
            if transcript in sources:
                SubElement(case_element, "SourceRef", {"targetGUID": sources[transcript]})
        report.cases = len(cases)

    notes: list[Element] = []
    files: dict[str, bytes] = {}

    def note(guid: str, coder: str, text: str, created: str, changed: str) -> Element:
        first = text.strip().split("\n", 1)[0] if text.strip() else "memo"
        attributes = {"guid": guid, "name": _xml(_snippet(first, 50))}
        if coder in users:
            attributes["creatingUser"] = users[coder]
        for name, stamp in (("creationDateTime", created), ("modifiedDateTime", changed)):
            if value := _xsd_datetime(stamp):
                attributes[name] = value
        element = Element("Note", attributes)
        SubElement(element, "PlainTextContent").text = _xml(text)
        notes.append(element)
        return element

    formats: dict[str, str] = {}  # source GUID -> the transcript's format, when not txt
    by_transcript: dict[str, list[Coding]] = {}
    for coding in codings:
        by_transcript.setdefault(coding.transcript, []).append(coding)
    memos_by_transcript: dict[str | None, list[dict]] = {}
    for memo in memos:
        memos_by_transcript.setdefault(memo["transcript"], []).append(memo)
    if names:
        element = SubElement(root, "Sources")
    progress.start("exporting", len(names))
    for name in names:
        progress.advance(1, done=name)
        guid = sources[name]
        stored = project.transcript(name)
        text = stored.text
        if stored.format != "txt":
            formats[guid] = stored.format
        files[f"sources/{guid}.txt"] = text.encode("utf-8")
        source = SubElement(
            element,
            "TextSource",
            {"guid": guid, "name": _xml(name), "plainTextPath": f"internal://{guid}.txt"},
        )
        if memos_here := memos_by_transcript.get(name, []):
            # QualCoder reads a source's memo from its Description only (not from its Notes).
            SubElement(source, "Description").text = _xml(
                _memos_description([(memo["coder"], memo["text"]) for memo in memos_here])
            )
        used_guids: set[str] = set()
        for coding in by_transcript.get(name, []):
            selection_guid = _derived(
                uuid.UUID(_guid_key(guid)),
                "selection",
                coding.start,
                coding.end,
                codes[coding.code_id],
                users[coding.coder],
            )
            while selection_guid in used_guids:  # the same coding twice: keep GUIDs unique
                selection_guid = _derived(uuid.UUID(selection_guid), "again")
            used_guids.add(selection_guid)
            attributes = {
                "guid": selection_guid,
                "name": _xml(_snippet(text[coding.start : coding.end])),
                "startPosition": str(coding.start),
                "endPosition": str(coding.end),
                "creatingUser": users[coding.coder],
            }
            for attribute, stamp in (
                ("creationDateTime", coding.created),
                ("modifiedDateTime", coding.changed),
            ):
                if value := _xsd_datetime(stamp):
                    attributes[attribute] = value
            selection = SubElement(source, "PlainTextSelection", attributes)
            if coding.memo:  # QualCoder reads a coding memo from here, not from a Note
                SubElement(selection, "Description").text = _xml(coding.memo)
            coding_attributes = {
                "guid": _derived(uuid.UUID(selection_guid), "coding"),
                "creatingUser": users[coding.coder],
            }
            if value := _xsd_datetime(coding.created):
                coding_attributes["creationDateTime"] = value
            coding_element = SubElement(selection, "Coding", coding_attributes)
            SubElement(coding_element, "CodeRef", {"targetGUID": codes[coding.code_id]})
            if coding.memo:
                memo_guid = _derived(uuid.UUID(selection_guid), "note")
                note(memo_guid, coding.coder, coding.memo, coding.changed, coding.changed)
                SubElement(coding_element, "NoteRef", {"targetGUID": memo_guid})
                report.memos += 1
        for memo in memos_by_transcript.get(name, []):
            memo_guid = _derived(uuid.UUID(_guid_key(guid)), "note", memo["coder"], memo["created"])
            note(memo_guid, memo["coder"], memo["text"], memo["created"], memo["changed"])
            SubElement(source, "NoteRef", {"targetGUID": memo_guid})
            report.memos += 1
    project_notes = []
    for memo in memos_by_transcript.get(None, []):
        # From the memo itself, so the GUID survives a round trip through another project.
        memo_guid = _derived(
            QUALCODE_NAMESPACE, "note", memo["coder"], memo["created"], memo["text"]
        )
        note(memo_guid, memo["coder"], memo["text"], memo["created"], memo["changed"])
        project_notes.append(memo_guid)
        report.memos += 1
    if notes:
        SubElement(root, "Notes").extend(notes)
    header: dict[str, object] = {
        "codebook_name": codebook.name,
        "codebook_language": codebook.language,
    }
    if codebook.description:
        header["codebook_description"] = codebook.description
    if formats:
        header["source_formats"] = formats
    report.warnings += duplicate_label_warnings(codebook)
    SubElement(root, "Description").text = _xml(
        EXTRA_MARKER
        + "".join(
            f"\n{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in header.items()
        )
    )
    for memo_guid in project_notes:
        SubElement(root, "NoteRef", {"targetGUID": memo_guid})

    report.codes = len(codes)
    report.transcripts = len(names)
    report.codings = len(codings)
    report.coders = len(coders)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _serialise(root))
        for member, data in files.items():
            archive.writestr(member, data)
    return buffer.getvalue(), report


def export_qdpx(
    project: Project, path: str | Path, *, redact: bool = False, progress: Progress = SILENT
) -> QdpxExport:
    """Write the project as a REFI-QDA project archive (``.qdpx``) atomically: transcripts as
    UTF-8 text sources, codes, confirmed codings as PlainTextSelections (code points) with
    their coders, users, cases and variables from attributes, memos as notes. With
    ``redact``, from a redacted copy (:func:`qualcode.privacy.redacted_copy`): personal data
    in sources, memos and attributes becomes pseudonyms, selections moved with it."""
    path = Path(path)
    if path.suffix.lower() != ".qdpx":
        raise ExchangeError("give the project archive the ending .qdpx", path=path)
    if redact:
        from ..privacy import redacted_copy

        with redacted_copy(project) as copy:
            data, report = qdpx_bytes(copy, progress)
    else:
        data, report = qdpx_bytes(project, progress)
    try:
        atomic_write_bytes(path, data)
    except QualcodeError as error:
        raise ExchangeError(error.message, path=path) from None
    report.path = path
    return report
