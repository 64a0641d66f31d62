"""YAML front matter at the top of a Markdown transcript: metadata and a header, never a turn.

A transcript whose first line is ``---`` and which has a closing ``---`` (or ``...``) line within
its first 200 lines opens with front matter when the lines between are a YAML mapping
(``respondent: R06``). Its keys and values become the transcript's ``metadata`` (values as
strings: lists joined with ``、``, dates as ISO dates, nested mappings as JSON) and the block is
the header span, so ``respondent: R06`` is never taken for a speaker. A block that is not valid
YAML but has ``key: value`` lines is still the header, with a warning naming the line YAML
stumbled on and no metadata from it; anything else after a ``---`` line is not front matter.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, replace

from qualcode.model import ParsedTranscript, Span

FRONT_MATTER_MAX_LINES = 200
FRONT_MATTER_MAX_CHARS = 20_000  # with aliases refused, bounds the work YAML can be made to do

_OPEN_RE = re.compile(r"---[ \t]*(?:\n|$)")
_CLOSE_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_KEY_LINE_RE = re.compile(r"^[ \t]*[^\s:#-][^:\n]{0,40}:(?:[ \t]|$)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The front matter block ``span`` (from the opening ``---`` to the end of the closing
    line), its ``metadata``, and a warning if its YAML could not be read."""

    span: Span
    metadata: dict[str, str]
    warning: str = ""

    def blanked(self, text: str) -> str:
        """``text`` with the block's characters turned to spaces (line ends kept), so a parser
        sees blank lines there and every offset stays where it was."""
        block = text[self.span.start : self.span.end]
        return text[: self.span.start] + re.sub(r"[^\n]", " ", block) + text[self.span.end :]

    def apply(self, parsed: ParsedTranscript, text: str) -> ParsedTranscript:
        """``parsed`` (made from :meth:`blanked` text) with the real text back, the block as the
        start of its header and the front matter's metadata first."""
        end = parsed.header.end if parsed.header is not None else self.span.end
        metadata = dict(self.metadata)
        for key, value in parsed.metadata.items():
            metadata.setdefault(key, value)
        warnings = ([self.warning] if self.warning else []) + parsed.warnings
        return replace(
            parsed,
            text=text,
            header=Span(self.span.start, end),
            metadata=metadata,
            warnings=warnings,
        )


def find_front_matter(text: str) -> FrontMatter | None:
    """The YAML front matter ``text`` opens with, or None (see the module rules)."""
    opening = _OPEN_RE.match(text)
    if opening is None:
        return None
    limit = len("\n".join(text.split("\n", FRONT_MATTER_MAX_LINES + 1)[:FRONT_MATTER_MAX_LINES]))
    closing = _CLOSE_RE.search(text, opening.end(), limit)
    if closing is None:
        return None
    span = Span(0, closing.start() + 3)
    body = text[opening.end() : closing.start()]
    if len(body) > FRONT_MATTER_MAX_CHARS:
        return None
    try:
        data = _load(body)
    except _NotYaml as problem:
        if not _KEY_LINE_RE.search(body):
            return None
        return FrontMatter(
            span,
            {},
            f"line {problem.line + 1}: the front matter is not valid "
            f"YAML ({problem}); it was kept as the header, without metadata",
        )
    if not isinstance(data, dict) or not data:
        return None
    return FrontMatter(span, {str(key): as_text(value) for key, value in data.items()})


class _NotYaml(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line  # 1-based line in the block, the opening --- being line 0


def _load(body: str) -> object:
    import yaml  # only files that open with front matter pay for it

    try:
        events = yaml.SafeLoader(body)
        try:
            while events.check_event():
                event = events.get_event()
                if isinstance(event, yaml.AliasEvent):  # a YAML bomb expands through aliases
                    raise _NotYaml("aliases (*name) are not read", event.start_mark.line + 1)
        finally:
            events.dispose()
        return yaml.safe_load(body)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise _NotYaml(error.problem or str(error), (mark.line if mark else 0) + 1) from None
    except yaml.YAMLError as error:
        raise _NotYaml(str(error), 1) from None


def as_text(value: object) -> str:
    """A front matter value as metadata text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(as_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
