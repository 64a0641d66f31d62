"""Codebook YAML <-> :class:`~qualcode.model.Codebook`: load, validate, save, diff.

Loading composes YAML nodes with a loader derived from ``yaml.SafeLoader`` and converts the
nodes here, never through a YAML constructor: that keeps the line of every key and value for
error messages, catches duplicate keys (PyYAML's constructor silently keeps the last one) and
means no tag can ever build a Python object. Every problem is a :class:`CodebookError` whose
``str()`` reads ``file:line: what is wrong and how to fix it``.

String fields take the scalar's text as written, so ``label: yes`` is ``"yes"`` and
``id: 1.10`` is ``"1.10"``, not YAML 1.1's ``True`` and ``1.1``.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import regex
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import CodebookError, QualcodeError
from .fileio import atomic_write_text
from .model import Code, Codebook

VERSION = 1

TOP_KEYS = ("qualcode_codebook", "name", "language", "description", "codes")
CODE_KEYS = (
    "id",
    "label",
    "label_en",
    "color",
    "description",
    "include",
    "exclude",
    "examples",
    "keywords",
    "match",
    "patterns",
    "token_patterns",
    "children",
)
TEXT_FIELDS = ("label_en", "description", "include", "exclude")
LIST_FIELDS = ("examples", "keywords")
MATCH_MODES = ("word", "substring")  # how a code's keywords match: whole words or anywhere

# Keys people plausibly write instead of ours, which difflib cannot guess.
_KEY_SYNONYMS = {
    "name": "label",
    "title": "label",
    "codes": "children",
    "subcodes": "children",
    "desc": "description",
    "标签": "label",
    "名称": "label",
    "颜色": "color",
    "描述": "description",
    "说明": "description",
    "例子": "examples",
    "示例": "examples",
    "关键词": "keywords",
    "子代码": "children",
    "编号": "id",
}

CODE_ID = re.compile(r"[A-Za-z0-9_.\-]+")
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

_TAG = "tag:yaml.org,2002:"
_NULL = _TAG + "null"
_INT = _TAG + "int"
_STR = _TAG + "str"
# Tags of plain YAML data. Anything else (!!python/..., !!binary, !custom) is refused.
_STANDARD_TAGS = {
    _TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
}


class _SafeComposer(yaml.SafeLoader):
    """Only ever used to compose nodes; this module converts the nodes itself."""


# libyaml composes the same nodes (with the same tags and lines) ten to twenty times as fast,
# and refuses nesting deeper than 1,000 levels; on any problem the pure-Python composer runs
# again to give its own message.
_FAST_COMPOSER = getattr(yaml, "CSafeLoader", None)


# ---------------------------------------------------------------------------------------------
# Loading


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook YAML file (UTF-8, with or without BOM)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise CodebookError("codebook file not found", path=path) from None
    except OSError as error:
        raise CodebookError(f"cannot read codebook: {error.strerror}", path=path) from None
    return parse_codebook(_decode(data, path), path=path)


def parse_codebook(text: str, path: str | Path = "<string>") -> Codebook:
    """Validate codebook YAML given as text; ``path`` is only used in error messages."""
    text = text.removeprefix("\ufeff")
    root = _compose(text, path)
    return _Converter(text, path).codebook(root)


def _decode(data: bytes, path: str | Path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CodebookError("the file is saved as UTF-16; re-save it as UTF-8", path=path, line=1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        guess = ""
        try:
            data.decode("gb18030")
            guess = " It looks like GBK/GB18030 (common on Chinese Windows)."
        except UnicodeDecodeError:
            pass
        raise CodebookError(
            f"not valid UTF-8 (byte 0x{data[error.start]:02x}).{guess} "
            "Re-save the file as UTF-8 (in Notepad: Save as > Encoding: UTF-8).",
            path=path,
            line=line,
        ) from None


def _compose(text: str, path: str | Path) -> Node | None:
    if _FAST_COMPOSER is not None:
        try:
            fast = _FAST_COMPOSER(text)  # encodes the text: a lone surrogate fails here
        except UnicodeEncodeError:
            fast = None
        if fast is not None:
            try:
                return fast.get_single_node()
            except (yaml.YAMLError, RecursionError):
                pass  # the pure-Python composer below says what is wrong, and where
            finally:
                fast.dispose()
    loader = None
    try:
        loader = _SafeComposer(text)  # checks for unprintable characters already
        return loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, path) from None
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        raise CodebookError(
            f"character U+{error.character:04X} is not allowed in YAML; delete it",
            path=path,
            line=line,
        ) from None
    except RecursionError:
        raise CodebookError("the YAML is nested too deeply", path=path) from None
    finally:
        if loader is not None:
            loader.dispose()


def _syntax_error(error: yaml.MarkedYAMLError, path: str | Path) -> CodebookError:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else None
    problem = error.problem or error.context or "cannot parse"
    if "'\\t'" in problem:
        return CodebookError(
            "tab character: YAML allows only spaces for indentation and after ':'; "
            "replace the tab with spaces",
            path=path,
            line=line,
        )
    context = f" ({error.context})" if error.context and error.problem else ""
    return CodebookError(f"YAML syntax error: {problem}{context}", path=path, line=line)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping (key: value lines)"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"'{node.value}'"


class _Converter:
    """Turns a composed node tree into a Codebook, raising at the first problem."""

    def __init__(self, text: str, path: str | Path):
        self.lines = text.splitlines()
        self.path = path
        self.id_lines: dict[str, int] = {}

    def error(self, message: str, node: Node | None) -> CodebookError:
        return CodebookError(message, path=self.path, line=_line(node) if node else None)

    def codebook(self, root: Node | None) -> Codebook:
        if root is None:
            raise CodebookError(
                "the codebook is empty; it should start with 'qualcode_codebook: 1'",
                path=self.path,
                line=1,
            )
        self.refuse_tags(root)
        if not isinstance(root, MappingNode):
            raise self.error(
                f"a codebook is a mapping starting with 'qualcode_codebook: 1', not {_kind(root)}",
                root,
            )
        fields = self.mapping(root)
        self.check_version(fields, root)
        self.check_keys(fields, TOP_KEYS, "the codebook")
        if "name" not in fields:
            raise self.error("the codebook has no 'name'; add e.g. 'name: 政务服务网研究'", root)
        name = self.text(fields["name"], "name")
        if not name.strip():
            raise self.error("the codebook's 'name' is empty", fields["name"][1])
        language = "zh"
        if "language" in fields and fields["language"][1].tag != _NULL:
            language = self.text(fields["language"], "language")
        description = (
            self.text(fields["description"], "description") if "description" in fields else ""
        )
        codes = self.codes(fields["codes"]) if "codes" in fields else []
        return Codebook(name=name, codes=codes, language=language, description=description)

    def refuse_tags(self, root: Node) -> None:
        # One pass over everything before converting anything, iterative and alias-aware
        # (an alias may point at a node that contains it).
        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node.tag == _TAG + "merge":
                raise self.error(
                    "YAML merge keys ('<<') are not supported; write the keys out", node
                )
            if node.tag not in _STANDARD_TAGS:
                tag = node.tag.replace(_TAG, "!!", 1)
                raise self.error(
                    f"YAML tag '{tag}' is not allowed in a codebook; "
                    "only plain text, lists and mappings are",
                    node,
                )
            if isinstance(node, MappingNode):
                stack.extend(n for pair in node.value for n in pair)
            elif isinstance(node, SequenceNode):
                stack.extend(node.value)

    def check_version(self, fields: dict[str, tuple[Node, Node]], root: Node) -> None:
        if "qualcode_codebook" not in fields:
            raise self.error(
                "missing 'qualcode_codebook: 1': is this a qualcode codebook? "
                "Add 'qualcode_codebook: 1' as the first line",
                root,
            )
        node = fields["qualcode_codebook"][1]
        if not (isinstance(node, ScalarNode) and node.tag == _INT and node.value == str(VERSION)):
            shown = repr(node.value) if isinstance(node, ScalarNode) else _kind(node)
            quoted = " (a number, without quotes)" if node.tag == _STR else ""
            raise self.error(
                f"unsupported codebook version {shown}: this qualcode reads "
                f"'qualcode_codebook: {VERSION}'{quoted}",
                node,
            )

    def mapping(self, node: MappingNode) -> dict[str, tuple[Node, Node]]:
        """Key text -> (key node, value node), refusing duplicate and non-text keys."""
        fields: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                raise self.error(f"a key must be a plain name, not {_kind(key)}", key)
            if key.value in fields:
                first = _line(fields[key.value][0])
                raise self.error(
                    f"duplicate key '{key.value}' (first at line {first}); YAML would keep only "
                    "the last one, so remove or rename one of them",
                    key,
                )
            fields[key.value] = (key, value)
        return fields

    def check_keys(
        self, fields: dict[str, tuple[Node, Node]], allowed: tuple[str, ...], where: str
    ) -> None:
        for name, (key, _) in fields.items():
            if name in allowed:
                continue
            guess = _KEY_SYNONYMS.get(name.lower())
            if guess not in allowed:
                matches = difflib.get_close_matches(name.lower(), allowed, n=1, cutoff=0.6)
                guess = matches[0] if matches else None
            hint = f"; did you mean '{guess}'?" if guess else "."
            raise self.error(
                f"unknown key '{name}' in {where}{hint} Allowed keys: {', '.join(allowed)}", key
            )

    def text(self, pair: tuple[Node, Node], name: str) -> str:
        """A string field: the scalar's text as written; empty for a YAML null."""
        value = pair[1]
        if not isinstance(value, ScalarNode):
            raise self.error(f"'{name}' must be text, not {_kind(value)}", value)
        if value.tag == _NULL:
            return ""
        return value.value

    def strings(self, pair: tuple[Node, Node], name: str) -> list[str]:
        value = pair[1]
        if isinstance(value, ScalarNode):
            if value.tag == _NULL:
                return []
            items = [s.strip() for s in re.split(r"[,，、;；]", value.value) if s.strip()]
            example = f"[{', '.join(items)}]" if items else "[词一, 词二]"
            raise self.error(
                f"'{name}' must be a list, not a single text; write {name}: {example}", value
            )
        if not isinstance(value, SequenceNode):
            raise self.error(f"'{name}' must be a list of texts, not {_kind(value)}", value)
        result = []
        for item in value.value:
            if not isinstance(item, ScalarNode):
                raise self.error(f"each item of '{name}' must be text, not {_kind(item)}", item)
            if item.tag == _NULL or item.value == "":
                raise self.error(f"empty item in '{name}'; delete it or fill it in", item)
            result.append(item.value)
        return result

    def codes(self, pair: tuple[Node, Node]) -> list[Code]:
        key, value = pair
        if isinstance(value, ScalarNode) and value.tag == _NULL:
            return []
        if not isinstance(value, SequenceNode):
            raise self.error(
                f"'{key.value}' must be a list of codes, each starting with '- id:', "
                f"not {_kind(value)}",
                value,
            )
        return [self.code(item) for item in value.value]

    def code(self, node: Node) -> Code:
        if not isinstance(node, MappingNode):
            raise self.error(
                f"a code must be a mapping with 'id' and 'label', not {_kind(node)}", node
            )
        fields = self.mapping(node)
        if "id" not in fields:
            raise self.error("a code has no 'id'; add a stable id such as 'id: publicity'", node)
        code_id = self.text(fields["id"], "id")
        id_node = fields["id"][1]
        if not code_id:
            raise self.error("a code's 'id' is empty", id_node)
        if not CODE_ID.fullmatch(code_id):
            raise self.error(
                f"code id '{code_id}' may only contain ASCII letters, digits, '_', '-' and '.' "
                "(put the Chinese name in 'label')",
                id_node,
            )
        if code_id in self.id_lines:
            raise self.error(
                f"duplicate code id '{code_id}' (also at line {self.id_lines[code_id]}); "
                "ids must be unique across the whole codebook",
                id_node,
            )
        # Registered before the children: an alias looping back to this code stops here.
        self.id_lines[code_id] = _line(id_node)
        self.check_keys(fields, CODE_KEYS, f"code '{code_id}'")
        if "label" not in fields:
            raise self.error(f"code '{code_id}' has no 'label'", node)
        label = self.text(fields["label"], "label")
        if not label.strip():
            raise self.error(f"code '{code_id}' has an empty 'label'", fields["label"][1])
        code = Code(id=code_id, label=label)
        for name in TEXT_FIELDS:
            if name in fields:
                setattr(code, name, self.text(fields[name], name))
        if "color" in fields:
            code.color = self.color(fields["color"])
        for name in LIST_FIELDS:
            if name in fields:
                setattr(code, name, self.strings(fields[name], name))
        if "match" in fields:
            code.match = self.match(fields["match"], code_id)  # type: ignore[assignment]
        if "patterns" in fields:
            code.patterns = self.patterns(fields["patterns"], code_id)
        if "token_patterns" in fields:
            code.token_patterns = self.token_patterns(fields["token_patterns"], code_id)
        if "children" in fields:
            code.children = self.codes(fields["children"])
        return code

    # Auto-coding rules are checked here, as data, so a bad rule stops the load at its line
    # instead of failing (or silently matching nothing) when auto-coding runs.

    def match(self, pair: tuple[Node, Node], code_id: str) -> str:
        text = self.text(pair, "match") or "word"
        if text not in MATCH_MODES:
            raise self.error(
                f"code '{code_id}': 'match: {text}' is not known; use 'match: word' (keywords "
                "match whole words, the default) or 'match: substring' (anywhere in the text)",
                pair[1],
            )
        return text

    def patterns(self, pair: tuple[Node, Node], code_id: str) -> list[str]:
        patterns = self.strings(pair, "patterns")
        for node, pattern in zip(getattr(pair[1], "value", ()), patterns, strict=False):
            if problem := pattern_problem(pattern):
                raise self.error(f"code '{code_id}': pattern '{pattern}' {problem}", node)
        return patterns

    def token_patterns(self, pair: tuple[Node, Node], code_id: str) -> list[list[dict]]:
        value = pair[1]
        if isinstance(value, ScalarNode) and value.tag == _NULL:
            return []
        example = "token_patterns: [[{LOWER: 不}, {LOWER: 方便}]]"
        if not isinstance(value, SequenceNode):
            raise self.error(
                f"'token_patterns' must be a list of patterns, each a list of "
                f"tokens; e.g. {example}",
                value,
            )
        patterns = []
        for number, item in enumerate(value.value, start=1):
            if not isinstance(item, SequenceNode) or not all(
                isinstance(token, MappingNode) for token in item.value
            ):
                raise self.error(
                    f"code '{code_id}': token pattern {number} must be a list of tokens, each "
                    f"a mapping such as {{LOWER: 方便}}; e.g. {example}",
                    item,
                )
            pattern = self.data(item)
            if problem := token_pattern_problem(pattern):
                token, message = problem
                node = item.value[token] if token is not None and token < len(item.value) else item
                raise self.error(f"code '{code_id}': token pattern {number}: {message}", node)
            patterns.append(pattern)
        return patterns

    def data(self, node: Node) -> object:
        """Plain data from a node: mappings, lists, text, numbers, true/false and null.
        Only ``true``/``false`` are booleans (YAML 1.1's yes/no/on/off stay text)."""
        if isinstance(node, MappingNode):
            return {key: self.data(value) for key, (_, value) in self.mapping(node).items()}
        if isinstance(node, SequenceNode):
            return [self.data(item) for item in node.value]
        if node.tag == _NULL:
            return None
        if node.tag == _INT:
            try:
                return int(node.value.replace("_", ""), 0)
            except ValueError:
                return node.value
        if node.tag == _TAG + "float":
            try:
                return float(node.value.replace("_", ""))
            except ValueError:
                return node.value
        if node.tag == _TAG + "bool" and node.value.lower() in ("true", "false"):
            return node.value.lower() == "true"
        return node.value

    def color(self, pair: tuple[Node, Node]) -> str:
        key, value = pair
        text = self.text(pair, "color")
        if value.tag == _NULL and self.comment_follows(key):
            raise self.error(
                "'color' is empty because an unquoted '#' starts a YAML comment; "
                'quote it: color: "#e5c07b"',
                key,
            )
        if not text:
            return ""
        if not _COLOR.fullmatch(text):
            raise self.error(
                f'bad color \'{text}\': use "#rrggbb" or "#rgb" in quotes, e.g. color: "#e5c07b"',
                value,
            )
        return normalize_color(text)

    def comment_follows(self, key: Node) -> bool:
        rest = self.lines[key.end_mark.line][key.end_mark.column :].lstrip()
        return rest.startswith(":") and rest[1:].lstrip().startswith("#")


def normalize_color(color: str) -> str:
    """``#ABC`` -> ``#aabbcc``; ``#AABBCC`` -> ``#aabbcc``. The caller checks the format."""
    color = color.lower()
    if len(color) == 4:
        return "#" + "".join(c * 2 for c in color[1:])
    return color


# ---------------------------------------------------------------------------------------------
# Checking a codebook built in memory (TUI, import from other tools) before it is written


UNIQUE_LABEL_TOOLS = "QualCoder, Taguette and ATLAS.ti"
"""Programs that take codes by label and break (or merge codes) when two codes share one."""


def duplicate_labels(codebook: Codebook) -> dict[str, list[str]]:
    """Labels that more than one code has (as written, ignoring case and spaces around them):
    label -> the ids of its codes, in codebook order. Valid for qualcode, which keys codes by
    id; :data:`UNIQUE_LABEL_TOOLS` need every label unique."""
    ids: dict[str, list[str]] = {}
    first: dict[str, str] = {}
    for code, _, _ in codebook.walk():
        key = code.label.strip().casefold()
        first.setdefault(key, code.label.strip())
        ids.setdefault(key, []).append(code.id)
    return {first[key]: found for key, found in ids.items() if len(found) > 1}


def duplicate_label_warnings(codebook: Codebook) -> list[str]:
    """One line per label used by several codes, saying which programs need them unique."""
    return [
        f"the label {label!r} is used by {len(ids)} codes ({', '.join(ids)}): "
        f"{UNIQUE_LABEL_TOOLS} need every label unique, so rename all but one before "
        "exporting to them"
        for label, ids in duplicate_labels(codebook).items()
    ]


def validate_codebook(codebook: Codebook) -> None:
    """Raise CodebookError if ``codebook`` could not be saved and loaded back unchanged."""
    if not codebook.name.strip():
        raise CodebookError("the codebook has no name")
    seen: set[str] = set()
    for code, _, _ in codebook.walk():
        if not CODE_ID.fullmatch(code.id):
            raise CodebookError(
                f"code id '{code.id}' may only contain ASCII letters, digits, '_', '-' and '.'"
            )
        if code.id in seen:
            raise CodebookError(f"duplicate code id '{code.id}'")
        seen.add(code.id)
        if not code.label.strip():
            raise CodebookError(f"code '{code.id}' has an empty label")
        if code.color and not (
            _COLOR.fullmatch(code.color) and code.color == normalize_color(code.color)
        ):
            raise CodebookError(f"code '{code.id}': bad color '{code.color}', use '#rrggbb'")
        for name in LIST_FIELDS:
            if any(not isinstance(item, str) or not item for item in getattr(code, name)):
                raise CodebookError(f"code '{code.id}': empty or non-text item in '{name}'")
        if code.match not in MATCH_MODES:
            raise CodebookError(
                f"code '{code.id}': 'match' must be word or substring, not {code.match!r}"
            )
        for pattern in code.patterns:
            if not isinstance(pattern, str) or not pattern:
                raise CodebookError(f"code '{code.id}': empty or non-text item in 'patterns'")
            if problem := pattern_problem(pattern):
                raise CodebookError(f"code '{code.id}': pattern '{pattern}' {problem}")
        for number, pattern in enumerate(code.token_patterns, start=1):
            if problem := token_pattern_problem(pattern):
                raise CodebookError(f"code '{code.id}': token pattern {number}: {problem[1]}")


# Token attributes our pipeline never sets (a blank Chinese pipeline: words and sentences,
# no tagger, parser or entity recogniser), so a pattern testing them could never match.
_UNSET_TOKEN_ATTRS = frozenset(
    {
        "POS",
        "TAG",
        "MORPH",
        "LEMMA",
        "DEP",
        "ENT_TYPE",
        "ENT_IOB",
        "ENT_ID",
        "ENT_KB_ID",
    }
)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be an auto-coding regular expression (``regex`` syntax, the
    ``re`` syntax plus ``\\p{Han}`` and friends), or None if it can."""
    try:
        compiled = regex.compile(pattern)
    except regex.error as error:
        return f"is not a valid regular expression: {error}"
    if compiled.search("") is not None:
        return (
            "matches empty text, so it would code every sentence; make it match at "
            "least one character (e.g. '+' instead of '*')"
        )
    return None


# The token attributes of spaCy's pattern schema (spacy.schemas.TokenPattern), and the keys
# of a value's predicates (TokenPatternString, TokenPatternNumber): enough to catch a typo
# when a codebook loads without importing spaCy (over a second). The full schema is checked
# by spaCy itself when the patterns are compiled for auto-coding
# (:func:`spacy_token_pattern_problem`); a test keeps these lists in step with spaCy's.
TOKEN_ATTRS = frozenset(
    {
        "ORTH",
        "TEXT",
        "LOWER",
        "POS",
        "TAG",
        "MORPH",
        "DEP",
        "LEMMA",
        "SHAPE",
        "ENT_TYPE",
        "ENT_IOB",
        "ENT_ID",
        "ENT_KB_ID",
        "NORM",
        "LENGTH",
        "SPACY",
        "IS_ALPHA",
        "IS_ASCII",
        "IS_DIGIT",
        "IS_LOWER",
        "IS_UPPER",
        "IS_TITLE",
        "IS_PUNCT",
        "IS_SPACE",
        "IS_BRACKET",
        "IS_QUOTE",
        "IS_LEFT_PUNCT",
        "IS_RIGHT_PUNCT",
        "IS_CURRENCY",
        "IS_STOP",
        "IS_SENT_START",
        "SENT_START",
        "LIKE_NUM",
        "LIKE_URL",
        "LIKE_EMAIL",
        "OP",
        "_",
    }
)
TOKEN_PREDICATES = frozenset(
    {
        "REGEX",
        "IN",
        "NOT_IN",
        "IS_SUBSET",
        "IS_SUPERSET",
        "INTERSECTS",
        "FUZZY",
        *(f"FUZZY{n}" for n in range(1, 10)),
        "==",
        "!=",
        ">=",
        "<=",
        ">",
        "<",
    }
)
_TOKEN_OP = re.compile(r"[+*?!]|\{\d+\}|\{\d+,\d*\}|\{\d*,\d+\}")


def token_pattern_problem(pattern: object) -> tuple[int | None, str] | None:
    """``(token index or None, message)`` saying why ``pattern`` is not a token pattern our
    pipeline can match, or None if it looks fine: its shape, attribute names, predicates and
    operators, checked without spaCy (see :func:`spacy_token_pattern_problem` for the rest)."""
    if not isinstance(pattern, list) or not pattern:
        return None, "a token pattern is a non-empty list of tokens, e.g. [{LOWER: 方便}]"
    for index, token in enumerate(pattern):
        if not isinstance(token, dict):
            return index, f"token {index + 1} must be a mapping such as {{LOWER: 方便}}"
        if unset := sorted(_UNSET_TOKEN_ATTRS.intersection(token)):
            return index, (
                f"token {index + 1} tests {', '.join(unset)}, which qualcode's "
                "pipeline does not tag (it has words and sentences only), so it "
                "would never match; use ORTH, TEXT, LOWER, LENGTH, IS_* or REGEX"
            )
        for key, value in token.items():
            where = f"token {index + 1} ({key})"
            if not isinstance(key, str) or key.upper() not in TOKEN_ATTRS:
                return index, (
                    f"{where}: not a token attribute; use ORTH, TEXT, LOWER, "
                    "NORM, LENGTH, IS_* or LIKE_* (upper case), with OP for repeats"
                )
            if value is None:
                return index, f"{where}: None / null is not allowed"
            if key.upper() == "OP" and not (isinstance(value, str) and _TOKEN_OP.fullmatch(value)):
                return index, (
                    f"{where}: {value!r} is not an operator; use +, *, ?, ! or "
                    "{n}, {n,m}, {n,}, {,m}"
                )
            unknown = (
                sorted(str(k) for k in value if str(k).upper() not in TOKEN_PREDICATES)
                if isinstance(value, dict) and key != "_"
                else []
            )
            if unknown:
                return index, (
                    f"{where}: {', '.join(unknown)} is not a predicate; use "
                    "IN, NOT_IN, REGEX, FUZZY, ==, !=, >=, <=, >, <"
                )
    return None


def spacy_token_pattern_problem(pattern: object) -> tuple[int | None, str] | None:
    """What :func:`token_pattern_problem` says, else what spaCy's own schema and ``Matcher``
    say about ``pattern`` (imports spaCy: called when the patterns are compiled for
    matching), or None if spaCy can match it."""
    if problem := token_pattern_problem(pattern):
        return problem
    from spacy.schemas import validate_token_pattern

    if errors := validate_token_pattern(pattern):
        found = re.match(r"\[pattern -> (\d+)(?: -> (.*?))?\] (.*)", errors[0])
        if found is None:
            return None, f"not a spaCy token pattern: {errors[0]}"
        index, where, message = int(found[1]), found[2] or "", found[3]
        where = where.split(" -> ")[0]
        return index, f"token {index + 1}{f' ({where})' if where else ''}: {message}"
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    try:  # what the schema does not check: REGEX values, operator combinations
        Matcher(Vocab()).add("check", [pattern])
    except Exception as error:  # noqa: BLE001 - spaCy raises several types here
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return None, f"spaCy cannot compile it: {first}"
    return None


def find_code(codebook: Codebook, code_id: str) -> Code:
    """The code with this id, or a CodebookError that suggests the id the user may mean."""
    codes = codebook.by_id()
    if code_id in codes:
        return codes[code_id]
    by_label = [c.id for c in codes.values() if code_id in (c.label, c.label_en)]
    guesses = by_label or difflib.get_close_matches(code_id, list(codes), n=1)
    hint = f"; did you mean '{guesses[0]}'?" if guesses else ""
    raise CodebookError(f"no code with id '{code_id}' in codebook '{codebook.name}'{hint}")


# ---------------------------------------------------------------------------------------------
# Saving


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key ("codes:\n  - id: ..."), as people write them.
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        return True


class _Quoted(str):
    """A string always written in double quotes (colours: an unquoted '#' is a comment)."""


class _Flow(list):
    """A list written on one line: ``[宣传, 推广]``."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line text as a literal block; the emitter falls back to quotes where a block
    # cannot hold the text exactly. PyYAML's plain and single-quoted styles mangle the rarer
    # line breaks (NEL, U+2028, U+2029, lone CR), so those go in double quotes as escapes.
    if any(c in value for c in _RARE_BREAKS):
        style = '"'
    elif "\n" in value:
        style = "|"
    else:
        style = None
    return dumper.represent_scalar(_STR, value, style=style)


_RARE_BREAKS = "\r\x85\u2028\u2029"


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Quoted, lambda d, v: d.represent_scalar(_STR, str(v), style='"'))
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence(_TAG + "seq", v, flow_style=True))


def _list(items: list[str], quoted: bool) -> list[str]:
    # Examples are quotations, so they are written in quotes; keywords are bare words.
    items = [_Quoted(s) if quoted else s for s in items]
    short = all("\n" not in s for s in items) and sum(len(s) + 2 for s in items) <= 60
    return _Flow(items) if short else items


def _code_data(code: Code) -> dict[str, object]:
    data: dict[str, object] = {"id": code.id, "label": code.label}
    for name in CODE_KEYS[2:]:
        value = getattr(code, name)
        if not value or (name == "match" and value == "word"):  # "word" is the default
            continue
        if name == "color":
            value = _Quoted(value)
        elif name in LIST_FIELDS:
            value = _list(value, quoted=name == "examples")
        elif name == "patterns":
            value = list(value)  # one a line: regular expressions are hard enough to read
        elif name == "token_patterns":
            value = [_Flow(copy.deepcopy(pattern)) for pattern in value]  # one a line
        elif name == "children":
            value = [_code_data(child) for child in value]
        data[name] = value
    return data


def dump_codebook(codebook: Codebook) -> str:
    """The codebook as YAML text: schema key order, empty fields omitted, Chinese unescaped.

    Raises CodebookError (without a line) if the codebook is invalid, so an export can never
    write a file that qualcode would refuse to load.
    """
    validate_codebook(codebook)
    data: dict[str, object] = {
        "qualcode_codebook": VERSION,
        "name": codebook.name,
        "language": codebook.language,
    }
    if codebook.description:
        data["description"] = codebook.description
    if codebook.codes:
        data["codes"] = [_code_data(code) for code in codebook.codes]
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1 << 30,  # never fold long Chinese lines
        indent=2,
    )


def save_codebook(codebook: Codebook, path: str | Path) -> None:
    """Write the codebook as UTF-8 YAML atomically: readers see the old file or the new one."""
    try:
        atomic_write_text(path, dump_codebook(codebook))
    except QualcodeError as error:
        raise CodebookError(error.message, path=path) from None


# ---------------------------------------------------------------------------------------------
# Diff

DIFF_COLUMNS = ("change", "code_id", "field", "old", "new")
_COMPARED = ("parent",) + CODE_KEYS[1:-1]  # children show up as their own added/removed/moved


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: str | list[str]
    new: str | list[str]


@dataclass(slots=True)
class CodebookDiff:
    """What changed from ``old`` to ``new``, by code id. Falsy when nothing changed."""

    old: Codebook = dataclass_field(repr=False)
    new: Codebook = dataclass_field(repr=False)
    added: list[str]  # ids only in new, in new's order
    removed: list[str]  # ids only in old, in old's order
    changed: dict[str, list[FieldChange]]  # id -> fields, "parent" when moved; new's order
    header: list[FieldChange]  # the codebook's own name, language, description

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.header)

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """``(change, code_id, field, old, new)`` rows, as in :data:`DIFF_COLUMNS`.

        ``change`` is added, removed or changed; added and removed rows carry the label;
        code_id "" is the codebook itself (name, language, description).
        """
        new_codes, old_codes = self.new.by_id(), self.old.by_id()
        rows = [("changed", "", c.field, _show(c.old), _show(c.new)) for c in self.header]
        rows += [("removed", i, "", old_codes[i].label, "") for i in self.removed]
        rows += [("added", i, "", "", new_codes[i].label) for i in self.added]
        for code_id, changes in self.changed.items():
            rows += [("changed", code_id, c.field, _show(c.old), _show(c.new)) for c in changes]
        return rows

    def render(self) -> str:
        """Lines for a terminal: ``+`` added, ``-`` removed, ``~`` changed."""
        if not self:
            return "no changes"
        new_parents, old_parents = _parents(self.new), _parents(self.old)
        new_codes, old_codes = self.new.by_id(), self.old.by_id()
        lines = [
            f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"
        ]
        for change in self.header:
            lines.append(f"~ codebook {change.field}: {_show(change.old)} → {_show(change.new)}")
        for code_id in self.removed:
            lines.append(f"- {code_id}  {old_codes[code_id].label}{_under(old_parents[code_id])}")
        for code_id in self.added:
            lines.append(f"+ {code_id}  {new_codes[code_id].label}{_under(new_parents[code_id])}")
        for code_id, changes in self.changed.items():
            for change in changes:
                old, new = _show(change.old), _show(change.new)
                if change.field == "parent":
                    old, new = old or "(top level)", new or "(top level)"
                lines.append(f"~ {code_id}  {change.field}: {old} → {new}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def diff_codebooks(old: Codebook, new: Codebook) -> CodebookDiff:
    """Compare two codebooks by code id: added, removed, and changed fields (moves included)."""
    old_codes, new_codes = old.by_id(), new.by_id()
    old_parents, new_parents = _parents(old), _parents(new)
    changed: dict[str, list[FieldChange]] = {}
    for code_id, code in new_codes.items():
        if code_id not in old_codes:
            continue
        before = old_codes[code_id]
        changes = []
        for name in _COMPARED:
            if name == "parent":
                a, b = old_parents[code_id], new_parents[code_id]
            else:
                a, b = getattr(before, name), getattr(code, name)
            if a != b:
                changes.append(FieldChange(name, a, b))
        if changes:
            changed[code_id] = changes
    header = [
        FieldChange(name, getattr(old, name), getattr(new, name))
        for name in ("name", "language", "description")
        if getattr(old, name) != getattr(new, name)
    ]
    return CodebookDiff(
        old=old,
        new=new,
        added=[i for i in new_codes if i not in old_codes],
        removed=[i for i in old_codes if i not in new_codes],
        changed=changed,
        header=header,
    )


def _parents(codebook: Codebook) -> dict[str, str]:
    return {code.id: parent.id if parent else "" for code, parent, _ in codebook.walk()}


def _show(value: str | list) -> str:
    if isinstance(value, list) and not all(isinstance(item, str) for item in value):
        return json.dumps(value, ensure_ascii=False)  # token patterns
    return f"[{', '.join(value)}]" if isinstance(value, list) else value


def _under(parent: str) -> str:
    return f"  (under {parent})" if parent else ""


# ---------------------------------------------------------------------------------------------
# Merge

MERGE_FIELDS = CODE_KEYS[1:-1]  # label ... keywords; "parent" is compared apart
_HEADER_FIELDS = ("name", "language", "description")


@dataclass(frozen=True, slots=True)
class MergeConflict:
    """One field both sides filled in differently. ``code_id`` "" is the codebook itself."""

    code_id: str
    field: str
    ours: str | list[str]
    theirs: str | list[str]

    def __str__(self) -> str:
        where = self.code_id or "codebook"
        ours, theirs = _show(self.ours), _show(self.theirs)
        if self.field == "parent":
            ours, theirs = ours or "(top level)", theirs or "(top level)"
        return f"{where} {self.field}: ours {ours!r}, theirs {theirs!r}"


@dataclass(slots=True)
class CodebookMerge:
    """The result of :func:`merge_codebooks`.

    ``codebook`` holds the merge with every conflict settled as ``prefer`` says (ours when
    ``prefer`` is None); ``unresolved`` is true when there are conflicts and no preference, and
    callers must then write nothing.
    """

    codebook: Codebook
    added: list[str]  # ids only theirs had, in their order
    filled: list[tuple[str, str]]  # (code id, field) blank in ours, taken from theirs
    conflicts: list[MergeConflict]
    prefer: str | None = None
    # ids ours has that theirs lacks (kept): theirs may have renamed, merged or deleted them
    missing: list[str] = dataclass_field(default_factory=list)
    missing_labels: dict[str, str] = dataclass_field(default_factory=dict)  # id -> our label

    @property
    def unresolved(self) -> bool:
        return bool(self.conflicts) and self.prefer is None

    def undecided(self) -> list[str]:
        """What a merge by id cannot tell: a code theirs lacks may have been renamed, merged
        into another or deleted there, and a code only theirs has may be one of ours renamed.
        Nothing of this is guessed (ours are kept, theirs added); each line says what to run
        if it was a rename or a merge. Empty when theirs lacks none of ours."""
        if not self.missing:
            return []
        codes = self.codebook.by_id()
        lines = [
            (
                f"? theirs lacks {len(self.missing)} of our codes, kept here; if they "
                "renamed or merged them, do the same in the project (qualcode codes rename "
                "PROJECT ID --id NEW_ID, qualcode codes merge PROJECT FROM_ID INTO_ID)"
            )
        ]
        by_label: dict[str, list[str]] = {}
        for code_id in self.missing:
            by_label.setdefault(self.missing_labels.get(code_id, ""), []).append(code_id)
            lines.append(f"? - {code_id}  {self.missing_labels.get(code_id, '')}")
        for code_id in self.added:
            label = codes[code_id].label
            for ours in by_label.get(label, []):
                lines.append(
                    f"? + {code_id} came in as a new code with the label of {ours}; "
                    f"if it is {ours} renamed: qualcode codes merge PROJECT {code_id} "
                    f"{ours}, then qualcode codes rename PROJECT {ours} --id {code_id}"
                )
        if self.added and len(lines) == len(self.missing) + 1:
            lines.append(
                f"? the {len(self.added)} new codes (+) may include ours renamed: "
                "compare their labels and definitions"
            )
        return lines

    def render(self) -> str:
        """Lines for a terminal: a summary, then every addition, blank filled and conflict."""
        settled = f", settled as {self.prefer}" if self.conflicts and self.prefer else ""
        summary = (
            f"{len(self.added)} added, {len(self.filled)} blanks filled, "
            f"{len(self.conflicts)} conflicts{settled}"
        )
        lines = [summary]
        codes = self.codebook.by_id()
        lines += [f"+ {code_id}  {codes[code_id].label}" for code_id in self.added]
        lines += [
            f"~ {code_id or 'codebook'} {name}: filled from theirs" for code_id, name in self.filled
        ]
        lines += [f"! {conflict}" for conflict in self.conflicts]
        lines += self.undecided()
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class MergeConflictError(CodebookError):
    """A merge found conflicts and was given no preference: nothing was written."""

    def __init__(self, merge: CodebookMerge, what: str = "the codebooks"):
        self.merge = merge
        n = len(merge.conflicts)
        shown = "; ".join(str(c) for c in merge.conflicts[:3]) + ("; ..." if n > 3 else "")
        super().__init__(
            f"{n} conflict{'s' if n != 1 else ''} between {what} ({shown}); nothing was "
            "written. Edit one side so they agree, or choose a side with --prefer ours or "
            "--prefer theirs"
        )


def merge_codebooks(ours: Codebook, theirs: Codebook, prefer: str | None = None) -> CodebookMerge:
    """Merge ``theirs`` into ``ours`` by code id, never guessing.

    - a code only one side has is kept (theirs' new codes go under their parent, after their
      nearest preceding sibling);
    - a field blank on one side takes the other side's value (filling a blank is not a conflict);
    - a field both sides filled differently, or a different parent, is a conflict: settled by
      ``prefer`` ("ours" or "theirs") when given, otherwise listed and left as ours;
    - the codebook's own name, language and description follow the same rules.
    """
    if prefer not in (None, "ours", "theirs"):
        raise ValueError(f"prefer must be None, 'ours' or 'theirs', not {prefer!r}")
    ours_parents, theirs_parents = _parents(ours), _parents(theirs)
    theirs_codes = theirs.by_id()
    merged: dict[str, Code] = {}
    parent: dict[str, str] = {}
    filled: list[tuple[str, str]] = []
    conflicts: list[MergeConflict] = []

    def settle(target: object, code_id: str, name: str, mine: object, other: object) -> None:
        if mine == other or _blank(name, other):
            return
        if _blank(name, mine):
            setattr(target, name, _copied(other))
            filled.append((code_id, name))
            return
        conflicts.append(MergeConflict(code_id, name, _copied(mine), _copied(other)))
        if prefer == "theirs":
            setattr(target, name, _copied(other))

    header = Codebook(name=ours.name, language=ours.language, description=ours.description)
    for name in _HEADER_FIELDS:
        settle(header, "", name, getattr(ours, name), getattr(theirs, name))

    for code, _, _ in ours.walk():
        copy = _bare_copy(code)
        merged[code.id] = copy
        parent[code.id] = ours_parents[code.id]
        other = theirs_codes.get(code.id)
        if other is None:
            continue
        for name in MERGE_FIELDS:
            settle(copy, code.id, name, getattr(code, name), getattr(other, name))
        if ours_parents[code.id] != theirs_parents[code.id]:
            conflicts.append(
                MergeConflict(code.id, "parent", ours_parents[code.id], theirs_parents[code.id])
            )
            if prefer == "theirs":
                parent[code.id] = theirs_parents[code.id]
    added = [code.id for code, _, _ in theirs.walk() if code.id not in merged]
    for code_id in added:
        merged[code_id] = _bare_copy(theirs_codes[code_id])
        parent[code_id] = theirs_parents[code_id]

    # Ours' order first; what comes from theirs (new codes, codes moved to their parent) is
    # placed after its nearest preceding sibling in theirs that is under the same parent
    # here, or first under its parent. Each placement is recorded against its anchor and the
    # lists are read out once, so the merge stays linear in the size of the codebooks.
    ours_children: dict[str, list[str]] = {}
    for code, _, _ in ours.walk():
        if parent[code.id] == ours_parents[code.id]:
            ours_children.setdefault(parent[code.id], []).append(code.id)
    placed = {code_id for ids in ours_children.values() for code_id in ids}
    after: dict[tuple[str, str | None], list[str]] = {}  # (parent, anchor or None) -> placed
    last_here: dict[str, str | None] = {}  # theirs parent -> its latest child under it here
    for code, _, _ in theirs.walk():
        under = theirs_parents[code.id]
        if code.id not in placed:  # here its parent is theirs: parent[code.id] == under
            after.setdefault((under, last_here.get(under)), []).append(code.id)
            placed.add(code.id)
        if parent[code.id] == under:
            last_here[under] = code.id

    def in_order(parent_id: str) -> list[str]:
        # Placing after an anchor again went right after it, before what was placed there
        # earlier: hence reversed. What follows a placed code comes right after that code.
        order: list[str] = []
        stack = [*reversed(ours_children.get(parent_id, [])), *after.get((parent_id, None), [])]
        while stack:
            code_id = stack.pop()
            order.append(code_id)
            stack += after.get((parent_id, code_id), [])
        return order

    children = {
        parent_id: in_order(parent_id) for parent_id in {*ours_children, *(key[0] for key in after)}
    }

    def build(parent_id: str) -> list[Code]:
        codes = [merged[code_id] for code_id in children.get(parent_id, [])]
        for code in codes:
            code.children = build(code.id)
        return codes

    header.codes = build("")
    missing = [code.id for code, _, _ in ours.walk() if code.id not in theirs_codes]
    return CodebookMerge(
        header,
        added,
        filled,
        conflicts,
        prefer,
        missing,
        {code_id: merged[code_id].label for code_id in missing},
    )


def _bare_copy(code: Code) -> Code:
    return Code(
        id=code.id,
        label=code.label,
        label_en=code.label_en,
        color=code.color,
        description=code.description,
        include=code.include,
        exclude=code.exclude,
        examples=list(code.examples),
        keywords=list(code.keywords),
        match=code.match,
        patterns=list(code.patterns),
        token_patterns=copy.deepcopy(code.token_patterns),
    )


def _blank(name: str, value: object) -> bool:
    """Whether a field holds nothing a merge must keep: empty, or 'match' at its default."""
    return not value or (name == "match" and value == "word")


def _copied(value: object) -> object:
    return copy.deepcopy(value) if isinstance(value, list) else value
