"""Refining the working codebook while coding: rename (the id too), edit, move and reorder,
merge, split and delete codes, with everything that names a code following it.

Open codes are renamed, grouped under new parents, merged when two turn out to be one theme
and split when one turns out to be two. Each operation here is one transaction and one
undoable action of a coder: ``Project.undo(coder)`` puts every row back as it was (a merge
undone returns each coding to its code, a split each coding to the code it was split from).
Each is recorded in the codebook's history (:func:`history_rows`: who, when, what) for the
methods chapter; an action undone leaves the history, and comes back when it is redone.

What names a code follows it: codings of every status (confirmed, suggestions, rejected,
unplaced), the coders' memos on the code, its favourite key, its children, and the GUID a
REFI-QDA export gives it (an id rename keeps it, so another program sees the same code
renamed, not a new one). A merge moves them onto the code merged into; two codings that
then coincide (same transcript, span, coder and status) become one, their memos joined.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import CodebookError, ProjectError
from .model import Code, Codebook
from .store import CodebookEntry, Project, code_image
from .store.schema import _now

FIELDS = ("label", "label_en", "color", "description", "include", "exclude", "examples", "keywords")
"""The fields of a code that :func:`edit_code` changes (besides its id)."""
LIST_FIELDS = ("examples", "keywords")
TOP = None
"""The parent of a top-level code, for :func:`move_code`."""
SAME_PARENT: Any = object()
"""For :func:`move_code` and :func:`split_codings`: the parent stays (or is the one beside)."""

Change = dict[str, Any]  # {"table", "key", "before", "after"}: one row, as the undo log keeps it


@dataclass(frozen=True, slots=True)
class CodeChange:
    """What one refinement did, for the caller to show: ``entry`` as the codebook's history
    keeps it (:func:`describe` says it in words), ``code_id`` the code to show now (renamed:
    its new id; merged or split: the code the codings went to), the transcripts whose
    codings changed, ``renamed`` (old id -> new id) and the ids ``removed``."""

    entry: CodebookEntry
    code_id: str
    transcripts: tuple[str, ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)
    removed: tuple[str, ...] = ()

    def text(self, lang: str = "en") -> str:
        return describe(self.entry, lang)


@dataclass(frozen=True, slots=True)
class Usage:
    """The codings of a code (and of its descendants, when asked), by status."""

    statuses: Counter[str]
    children: tuple[str, ...] = ()  # the descendants' ids, depth first

    @property
    def codings(self) -> int:
        return sum(self.statuses.values())

    def text(self) -> str:
        """``23 codings (20 confirmed, 3 suggested)``."""
        parts = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()))
        return f"{_count(self.codings, 'coding')}" + (f" ({parts})" if parts else "")


# --- the codes as one transaction reads them ------------------------------------------------


class _Codes:
    """The codes table's rows as read inside the transaction, with the tree they make:
    ``children`` maps a parent id (None: the top level) to its children's ids in order."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.rows = {r["id"]: r for r in project.row_images("codes")}
        self.children: dict[str | None, list[str]] = {}
        for row in sorted(self.rows.values(), key=lambda r: r["position"]):
            parent = row["parent_id"] if row["parent_id"] in self.rows else None
            self.children.setdefault(parent, []).append(row["id"])

    def require(self, code_id: str) -> dict[str, Any]:
        if code_id in self.rows:
            return self.rows[code_id]
        by_label = [i for i, r in self.rows.items() if code_id in (r["label"], r["label_en"])]
        hint = f"; did you mean {by_label[0]!r}?" if by_label else ""
        raise ProjectError(
            f"no code {code_id!r} in the project's codebook{hint}; see the ids "
            "with: qualcode codebook show PROJECT"
        )

    def parent(self, code_id: str) -> str | None:
        parent = self.rows[code_id]["parent_id"]
        return parent if parent in self.rows else None

    def descendants(self, code_id: str) -> list[str]:
        """Every code below ``code_id``, depth first in codebook order."""
        found: list[str] = []
        for child in self.children.get(code_id, []):
            found.append(child)
            found.extend(self.descendants(child))
        return found

    def label(self, code_id: str | None) -> str:
        return self.rows[code_id]["label"] if code_id in self.rows else ""

    def code(self, code_id: str) -> Code:
        """The code as a :class:`Code` (without children), as the store would rebuild it."""
        return self.project.codebook().by_id()[code_id]

    def changes(
        self, after: dict[str, dict[str, Any]], children: dict[str | None, list[str]]
    ) -> list[Change]:
        """The codes rows to change so the table holds ``after`` (id -> row image) in the
        tree ``children`` describes, positions numbered anew in walk order."""
        position: dict[str, int] = {}

        def visit(parent: str | None) -> None:
            for child in children.get(parent, []):
                position[child] = len(position)
                visit(child)

        visit(None)
        changes = [
            _change("codes", code_id, before, None)
            for code_id, before in self.rows.items()
            if code_id not in after
        ]
        for code_id, row in after.items():
            row = {**row, "position": position[code_id]}
            if row != self.rows.get(code_id):
                changes.append(_change("codes", code_id, self.rows.get(code_id), row))
        return changes


def _change(
    table: str, key: Any, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> Change:
    return {"table": table, "key": key, "before": before, "after": after}


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _joined(memo: str, other: str) -> str:
    """Two memos as one: ``other`` after ``memo`` (a blank line between), unless ``memo``
    already holds it as a paragraph of its own."""
    if not other.strip():
        return memo
    if not memo.strip():
        return other
    if other.strip() in (part.strip() for part in memo.split("\n\n")):
        return memo
    return f"{memo}\n\n{other}"


def _usage(project: Project, code_ids: Sequence[str]) -> list[dict[str, Any]]:
    marks = ", ".join("?" * len(code_ids))
    return project.row_images("codings", f"code_id IN ({marks})", code_ids)


def usage(project: Project, code_id: str, *, with_children: bool = False) -> Usage:
    """How many codings use ``code_id`` (and its descendants, ``with_children``), by status."""
    codes = _Codes(project)
    codes.require(code_id)
    below = codes.descendants(code_id)
    rows = _usage(project, [code_id, *below] if with_children else [code_id])
    return Usage(Counter(r["status"] for r in rows), tuple(below))


# --- recoding codings: merge and split ------------------------------------------------------


def _recode(
    project: Project, sources: Iterable[dict[str, Any]], into: str, now: str
) -> tuple[list[Change], int, set[int]]:
    """Move the codings ``sources`` (row images) onto code ``into``. A coding that then
    coincides with one ``into`` has (or one moved before it), same transcript, span, coder
    and status, is removed and its memo joined to that one's. Returns the changes, how many
    were joined so, and the transcripts (ids) touched."""
    images = {r["id"]: r for r in project.row_images("codings", "code_id = ?", (into,))}
    kept: dict[tuple, int] = {}
    for row in sorted(images.values(), key=lambda r: r["id"]):
        if row["status"] != "unplaced":  # its span only marks where its text was
            kept.setdefault(_key(row), row["id"])
    after: dict[int, dict[str, Any] | None] = {}
    joined = 0
    for row in sorted(sources, key=lambda r: r["id"]):
        images[row["id"]] = row
        keeper = kept.get(_key(row)) if row["status"] != "unplaced" else None
        if keeper is None:
            after[row["id"]] = {**row, "code_id": into, "changed": now}
            if row["status"] != "unplaced":
                kept[_key(row)] = row["id"]
            continue
        after[row["id"]] = None
        joined += 1
        current = after.get(keeper) or images[keeper]
        memo = _joined(current["memo"], row["memo"])
        if memo != current["memo"]:
            after[keeper] = {**current, "memo": memo, "changed": now}
    changes = [_change("codings", key, images[key], image) for key, image in after.items()]
    return changes, joined, {images[key]["transcript_id"] for key in after}


def _key(row: dict[str, Any]) -> tuple:
    return (row["transcript_id"], row["start"], row["end"], row["coder"], row["status"])


def _follow(project: Project, gone: Sequence[str], into: str, now: str) -> list[Change]:
    """Code memos and favourite keys of the codes ``gone`` move to ``into``: a coder's memo
    is joined to their memo on ``into``, a key goes to ``into`` unless it has one (then it is
    freed). The GUIDs recorded for the codes gone are forgotten."""
    changes: list[Change] = []
    memos = {r["coder"]: r for r in project.row_images("code_memos", "code_id = ?", (into,))}
    marks = ", ".join("?" * len(gone))
    for row in sorted(
        project.row_images("code_memos", f"code_id IN ({marks})", gone), key=lambda r: r["id"]
    ):
        mine = memos.get(row["coder"])
        if mine is None:
            memos[row["coder"]] = moved = {**row, "code_id": into, "changed": now}
            changes.append(_change("code_memos", row["id"], row, moved))
            continue
        changes.append(_change("code_memos", row["id"], row, None))
        text = _joined(mine["text"], row["text"])
        if text != mine["text"]:
            previous = next(
                (c for c in changes if c["table"] == "code_memos" and c["key"] == mine["id"]), None
            )
            joined = {**mine, "text": text, "changed": now}
            if previous is None:
                changes.append(_change("code_memos", mine["id"], mine, joined))
            else:
                previous["after"] = joined
            memos[row["coder"]] = joined
    favourites = {r["code_id"]: r for r in project.row_images("favourites")}
    has_key = into in favourites
    for code_id in gone:
        if (row := favourites.get(code_id)) is not None:
            changes.append(
                _change(
                    "favourites", row["key"], row, None if has_key else {**row, "code_id": into}
                )
            )
            has_key = True
    changes += _forget_guids(project, gone)
    return changes


def _forget_guids(project: Project, gone: Sequence[str]) -> list[Change]:
    keys = [f"refi.code.{code_id}" for code_id in gone]
    rows = project.row_images("meta", f"key IN ({', '.join('?' * len(keys))})", keys)
    return [_change("meta", row["key"], row, None) for row in rows]


def merge_codes(
    project: Project, from_id: str, into_id: str, coder: str, *, with_children: bool = False
) -> CodeChange:
    """Merge code ``from_id`` into ``into_id``: every coding of it (with ``with_children``,
    of its descendants too) becomes a coding of ``into_id``, codings that then coincide
    become one with their memos joined, code memos and favourite keys follow, and
    ``from_id`` (with its descendants) leaves the codebook. Without ``with_children`` its
    child codes move under ``into_id`` (into its place, when it was a child of ``into_id``)."""
    if from_id == into_id:
        raise ProjectError(f"cannot merge {from_id!r} into itself; give two different codes")
    _need_coder(coder)
    with project.transaction():
        codes = _Codes(project)
        codes.require(from_id)
        codes.require(into_id)
        below = codes.descendants(from_id)
        if into_id in below:
            raise ProjectError(
                f"{into_id!r} is below {from_id!r}: merge the child into its parent instead "
                f"(qualcode codes merge PROJECT {into_id} {from_id}), or move it out first"
            )
        gone = [from_id, *below] if with_children else [from_id]
        now = _now()
        codings, joined, touched = _recode(project, _usage(project, gone), into_id, now)
        children = {parent: list(ids) for parent, ids in codes.children.items()}
        after = {code_id: row for code_id, row in codes.rows.items() if code_id not in gone}
        moved: list[str] = []
        if not with_children:
            moved = children.pop(from_id, [])
            for child in moved:
                after[child] = {**after[child], "parent_id": into_id}
            siblings = children.setdefault(into_id, [])
            if from_id in siblings:  # a child merged into its parent: its children take its place
                index = siblings.index(from_id)
                siblings[index : index + 1] = moved
            else:
                siblings.extend(moved)
        for parent in list(children):
            children[parent] = [c for c in children[parent] if c not in gone]
        for code_id in gone:
            children.pop(code_id, None)
        changes = [*codings, *codes.changes(after, children), *_follow(project, gone, into_id, now)]
        moved_codings = sum(1 for c in codings if c["before"]["code_id"] in gone)
        entry = CodebookEntry(
            "merge",
            from_id,
            into_id,
            moved_codings,
            {
                "label": codes.label(from_id),
                "into_label": codes.label(into_id),
                "joined": joined,
                "with_children": len(below) if with_children else 0,
                "moved_children": len(moved),
            },
        )
        project.rewrite_rows(f"merge {moved_codings}", coder, changes, history=entry)
    return _result(project, entry, into_id, touched, removed=tuple(gone))


def split_codings(
    project: Project,
    from_id: str,
    into_id: str,
    coding_ids: Iterable[int],
    coder: str,
    *,
    new_code: Code | None = None,
    parent_id: str | None | object = SAME_PARENT,
) -> CodeChange:
    """Recode the chosen codings of ``from_id`` (by coding id) to ``into_id``, the way a
    theme is split: with ``new_code`` (whose id is ``into_id``) that code is created first,
    under ``parent_id`` (by default beside ``from_id``), in the same action. A coding that
    then coincides with one of ``into_id`` becomes one with it, memos joined."""
    ids = list(dict.fromkeys(coding_ids))
    if not ids:
        raise ProjectError(
            "choose the codings to split off (their ids: qualcode codings PROJECT --code CODE)"
        )
    if from_id == into_id:
        raise ProjectError(f"the codings are already coded {into_id!r}; split them to another code")
    _need_coder(coder)
    with project.transaction():
        codes = _Codes(project)
        codes.require(from_id)
        after = dict(codes.rows)
        children = {parent: list(c) for parent, c in codes.children.items()}
        if new_code is not None:
            if new_code.id != into_id:
                raise ValueError("new_code must have the id into_id")
            _check_new(codes, new_code)
            parent = codes.parent(from_id) if parent_id is SAME_PARENT else parent_id
            if parent is not None:
                codes.require(parent)
            after[into_id] = code_image(new_code, parent, len(after))
            children.setdefault(parent, []).append(into_id)
        else:
            codes.require(into_id)
        rows = project.row_images("codings", f"id IN ({', '.join('?' * len(ids))})", ids)
        found = {r["id"]: r for r in rows}
        if missing := [i for i in ids if i not in found]:
            raise ProjectError(f"no coding with id {', '.join(map(str, missing))}")
        if other := [i for i in ids if found[i]["code_id"] != from_id]:
            raise ProjectError(
                f"coding {', '.join(map(str, other))} is not coded {from_id!r} (but "
                f"{', '.join(sorted({found[i]['code_id'] for i in other}))}); split only "
                f"codings of the code split"
            )
        codings, joined, touched = _recode(project, rows, into_id, _now())
        changes = [*codings, *codes.changes(after, children)]
        entry = CodebookEntry(
            "split",
            from_id,
            into_id,
            len(ids),
            {
                "label": codes.label(from_id),
                "into_label": new_code.label if new_code else codes.label(into_id),
                "new": new_code is not None,
                "joined": joined,
            },
        )
        project.rewrite_rows(f"split {len(ids)}", coder, changes, history=entry)
    return _result(project, entry, into_id, touched)


def _check_new(codes: _Codes, code: Code) -> None:
    if code.id in codes.rows:
        raise ProjectError(f"a code with id {code.id!r} already exists")
    try:
        _validate(code)
    except CodebookError as error:
        raise ProjectError(error.message) from None


def _validate(code: Code) -> None:
    """Raise CodebookError if ``code`` could not be saved in a codebook. (The codebook module,
    with YAML and regex, loads here: ``qualcode --help`` does not wait for it.)"""
    from .codebook import validate_codebook

    validate_codebook(Codebook("check", [code]))


# --- editing, renaming, moving, deleting ----------------------------------------------------


def edit_code(
    project: Project, code_id: str, coder: str, *, new_id: str | None = None, **fields: Any
) -> CodeChange | None:
    """Change a code's id (``new_id``) and fields (label, label_en, color, description,
    include, exclude, examples, keywords; a list for the last two). Through an id rename,
    every coding, child, code memo, favourite key and the REFI-QDA GUID follow the code.
    Returns None when nothing would change."""
    if unknown := sorted(set(fields) - set(FIELDS)):
        raise ValueError(f"not a code field: {', '.join(unknown)}")
    _need_coder(coder)
    with project.transaction():
        codes = _Codes(project)
        before = codes.require(code_id)
        code = codes.code(code_id)
        if fields.get("color"):
            from .codebook import normalize_color

            fields["color"] = normalize_color(fields["color"].strip())
        for name in LIST_FIELDS:
            if name in fields:
                fields[name] = [item.strip() for item in fields[name] if item.strip()]
        changed = {
            name: (getattr(code, name), fields[name])
            for name in FIELDS
            if name in fields and getattr(code, name) != fields[name]
        }
        new_id = new_id.strip() if new_id else code_id
        if new_id != code_id:
            from .codebook import CODE_ID

            if not CODE_ID.fullmatch(new_id):
                raise ProjectError(
                    f"code id {new_id!r} may only contain ASCII letters, "
                    "digits, '_', '-' and '.' (put the Chinese name in the label)"
                )
            if new_id in codes.rows:
                raise ProjectError(
                    f"a code with id {new_id!r} already exists; to make the two "
                    f"one, merge them: qualcode codes merge PROJECT {code_id} "
                    f"{new_id}"
                )
        elif not changed:
            return None
        edited = dataclasses.replace(
            code, id=new_id, children=[], **{name: new for name, (_, new) in changed.items()}
        )
        try:
            _validate(edited)
        except CodebookError as error:
            raise ProjectError(error.message) from None
        image = code_image(edited, before["parent_id"], before["position"])
        row = {
            **before,
            **{
                column: image[column]
                for column in before
                if column not in ("parent_id", "position", "rules")
            },
        }
        after = {i: r for i, r in codes.rows.items() if i != code_id}
        after[new_id] = row
        children = codes.children
        changes: list[Change] = []
        touched: set[int] = set()
        carried = 0
        if new_id != code_id:
            children = {
                (new_id if parent == code_id else parent): [
                    new_id if c == code_id else c for c in ids
                ]
                for parent, ids in codes.children.items()
            }
            for child in codes.children.get(code_id, []):
                after[child] = {**after[child], "parent_id": new_id}
            changes, carried, touched = _rename_everywhere(project, code_id, new_id)
        changes = [*changes, *codes.changes(after, children)]
        action = "rename" if new_id != code_id or "label" in changed else "edit"
        entry = CodebookEntry(
            action,
            code_id,
            new_id if new_id != code_id else "",
            carried,
            {
                "label": before["label"],
                "new_label": row["label"],
                "fields": {name: [old, new] for name, (old, new) in changed.items()},
            },
        )
        project.rewrite_rows(f"{action} code", coder, changes, history=entry)
    return _result(
        project, entry, new_id, touched, renamed={code_id: new_id} if new_id != code_id else {}
    )


def _rename_everywhere(project: Project, old: str, new: str) -> tuple[list[Change], int, set[int]]:
    """What names code ``old`` by its id, named ``new``: codings, code memos, the favourite
    key and the GUID (recorded, or derived from the old id, so exports keep it)."""
    from .exchange.refi import code_guids, project_namespace

    codings = project.row_images("codings", "code_id = ?", (old,))
    changes = [_change("codings", r["id"], r, {**r, "code_id": new}) for r in codings]
    changes += [
        _change("code_memos", r["id"], r, {**r, "code_id": new})
        for r in project.row_images("code_memos", "code_id = ?", (old,))
    ]
    changes += [
        _change("favourites", r["key"], r, {**r, "code_id": new})
        for r in project.row_images("favourites", "code_id = ?", (old,))
    ]
    guid = code_guids(
        Codebook("", [Code(old, old)]), project_namespace(project), project.exchange_guids("code")
    )[old]
    keys = {
        f"refi.code.{old}": None,
        f"refi.code.{new}": {"key": f"refi.code.{new}", "value": guid},
    }
    found = {r["key"]: r for r in project.row_images("meta", "key IN (?, ?)", tuple(keys))}
    changes += [
        _change("meta", key, found.get(key), image)
        for key, image in keys.items()
        if found.get(key) != image
    ]
    return changes, len(codings), {r["transcript_id"] for r in codings}


def move_code(
    project: Project,
    code_id: str,
    coder: str,
    *,
    parent_id: Any = SAME_PARENT,
    position: int | None = None,
) -> CodeChange | None:
    """Move a code (with its descendants) under ``parent_id`` (:data:`TOP`: to the top
    level; left out: its parent stays), to ``position`` among its new siblings (0-based;
    None: last, or where it is when the parent stays). Returns None when nothing moves."""
    _need_coder(coder)
    with project.transaction():
        codes = _Codes(project)
        row = codes.require(code_id)
        old_parent = codes.parent(code_id)
        parent = old_parent if parent_id is SAME_PARENT else parent_id
        if parent is not None:
            codes.require(parent)
            if parent == code_id or parent in codes.descendants(code_id):
                raise ProjectError(
                    f"cannot move {code_id!r} under {parent!r}, which is itself or below it"
                )
        children = {p: list(ids) for p, ids in codes.children.items()}
        old_index = children[old_parent].index(code_id)
        children[old_parent].remove(code_id)
        siblings = children.setdefault(parent, [])
        if position is None:
            position = old_index if parent == old_parent else len(siblings)
        if not 0 <= position <= len(siblings):
            raise ProjectError(
                f"position {position + 1} is outside 1 to {len(siblings) + 1} "
                f"under {parent or 'the top level'}"
            )
        siblings.insert(position, code_id)
        if parent == old_parent and position == old_index:
            return None
        after = dict(codes.rows)
        after[code_id] = {**row, "parent_id": parent}
        action = "move" if parent != old_parent else "reorder"
        entry = CodebookEntry(
            action,
            code_id,
            (parent or "") if action == "move" else "",
            0,
            {
                "label": row["label"],
                "from_parent": codes.label(old_parent),
                "to_parent": codes.label(parent),
                "position": position + 1,
            },
        )
        project.rewrite_rows(f"{action} code", coder, codes.changes(after, children), history=entry)
    return _result(project, entry, code_id, set())


def delete_code(
    project: Project,
    code_id: str,
    coder: str,
    *,
    with_codings: bool = False,
    with_children: bool = False,
) -> CodeChange:
    """Remove a code from the working codebook, with its memos, key and GUID. Refused while
    codings use it (saying how many, and offering a merge) unless ``with_codings``, which
    deletes them too; refused while it has child codes unless ``with_children``."""
    _need_coder(coder)
    with project.transaction():
        codes = _Codes(project)
        row = codes.require(code_id)
        below = codes.descendants(code_id)
        if below and not with_children:
            shown = ", ".join(below[:5]) + (" ..." if len(below) > 5 else "")
            raise ProjectError(
                f"{code_id!r} ({row['label']}) has {_count(len(below), 'child code')} "
                f"({shown}); move or merge them first, or delete them too with --with-children"
            )
        gone = [code_id, *below]
        codings = _usage(project, gone)
        if codings and not with_codings:
            found = Usage(Counter(r["status"] for r in codings))
            raise ProjectError(
                f"{code_id!r} ({row['label']}) is used by {found.text()}; merge it into "
                f"another code instead (qualcode codes merge PROJECT {code_id} INTO_ID), or "
                "delete the codings too with --with-codings"
            )
        children = {
            p: [c for c in ids if c not in gone]
            for p, ids in codes.children.items()
            if p not in gone
        }
        after = {i: r for i, r in codes.rows.items() if i not in gone}
        marks = ", ".join("?" * len(gone))
        changes = [_change("codings", r["id"], r, None) for r in codings]
        changes += [
            _change("code_memos", r["id"], r, None)
            for r in project.row_images("code_memos", f"code_id IN ({marks})", gone)
        ]
        changes += [
            _change("favourites", r["key"], r, None)
            for r in project.row_images("favourites", f"code_id IN ({marks})", gone)
        ]
        changes += _forget_guids(project, gone)
        changes += codes.changes(after, children)
        entry = CodebookEntry(
            "delete", code_id, "", len(codings), {"label": row["label"], "children": len(below)}
        )
        project.rewrite_rows("delete code", coder, changes, history=entry)
    return _result(
        project,
        entry,
        codes.parent(code_id) or "",
        {r["transcript_id"] for r in codings},
        removed=tuple(gone),
    )


def _need_coder(coder: str) -> None:
    if not coder.strip():
        raise ProjectError(
            "say who changes the codebook: --coder NAME (it goes into the "
            "codebook's history and the coder's undo)"
        )
    # A coder changing the codebook is a coder of the project (as one who codes is).


def _result(
    project: Project,
    entry: CodebookEntry,
    code_id: str,
    touched: set[int],
    *,
    renamed: dict[str, str] | None = None,
    removed: tuple[str, ...] = (),
) -> CodeChange:
    names = project.transcript_names_by_id()
    recorded = project.codebook_history()[-1]
    return CodeChange(
        recorded,
        code_id,
        tuple(sorted(names[i] for i in touched if i in names)),
        renamed or {},
        removed,
    )


# --- the history, in words ------------------------------------------------------------------

_ACTIONS = {
    "start": ("history began", "开始记录"),
    "codebook": ("codebook set", "设定编码本"),
    "add": ("add", "新建"),
    "rename": ("rename", "更名"),
    "edit": ("edit", "修改"),
    "move": ("move", "移动"),
    "reorder": ("reorder", "排序"),
    "merge": ("merge", "合并"),
    "split": ("split", "拆分"),
    "delete": ("delete", "删除"),
}
_FIELD_NAMES = {
    "label": "标签",
    "label_en": "英文标签",
    "color": "颜色",
    "description": "说明",
    "include": "包括",
    "exclude": "不包括",
    "examples": "示例",
    "keywords": "关键词",
}
HISTORY_COLUMNS = {
    "en": ("when", "coder", "action", "code", "change"),
    "zh": ("时间", "编码员", "操作", "编码", "变更"),
}


def describe(entry: CodebookEntry, lang: str = "en") -> str:
    """One sentence saying what a change to the codebook did, in English or Chinese:
    ``merged 宣传渠道 into 宣传推广: 23 codings``."""
    d = entry.details
    zh = lang == "zh"
    label = d.get("label") or entry.code_id
    n = entry.codings
    if entry.action == "start":
        return (
            f"开始记录时编码本有 {d.get('codes', 0)} 个编码"
            if zh
            else f"the working codebook had {_count(d.get('codes', 0), 'code')} when its "
            "history began"
        )
    if entry.action == "codebook":
        source = d.get("source", "")
        counts = (d.get("codes", 0), d.get("added", 0), d.get("removed", 0), d.get("changed", 0))
        if zh:
            return (
                f"设定工作编码本{f'（来自 {source}）' if source else ''}：{counts[0]} 个编码"
                f"（新增 {counts[1]}，删除 {counts[2]}，修改 {counts[3]}）"
            )
        return (
            f"set the working codebook{f' from {source}' if source else ''}: "
            f"{_count(counts[0], 'code')} ({counts[1]} added, {counts[2]} removed, "
            f"{counts[3]} changed)"
        )
    if entry.action == "add":
        parent = d.get("parent", "")
        if zh:
            return f"新建“{label}”（{entry.code_id}）" + (f"，在“{parent}”下" if parent else "")
        return f"added {label} ({entry.code_id})" + (f" under {parent}" if parent else "")
    if entry.action in ("rename", "edit"):
        return _describe_edit(entry, zh)
    if entry.action in ("move", "reorder"):
        where = d.get("to_parent", "")
        if entry.action == "reorder":
            if zh:
                return (
                    f"将“{label}”排到{f'“{where}”下' if where else '顶层'}第 {d.get('position')} 位"
                )
            return (
                f"put {label} in place {d.get('position')} "
                f"{f'under {where}' if where else 'at the top level'}"
            )
        old = d.get("from_parent", "")
        if zh:
            return (
                f"将“{label}”从{f'“{old}”下' if old else '顶层'}移到"
                f"{f'“{where}”下' if where else '顶层'}"
            )
        return (
            f"moved {label} from {f'under {old}' if old else 'the top level'} to "
            f"{f'under {where}' if where else 'the top level'}"
        )
    into = d.get("into_label") or entry.target_id
    joined = d.get("joined", 0)
    if entry.action == "merge":
        extra_zh, extra_en = "", ""
        if joined:
            extra_zh += f"（其中 {joined} 处与已有编码重合，合为一处）"
            extra_en += f" ({joined} joined with codings already there)"
        if d.get("with_children"):
            extra_zh += f"，连同其 {d['with_children']} 个下级编码"
            extra_en += f", with its {_count(d['with_children'], 'child code')}"
        if d.get("moved_children"):
            extra_zh += f"；其 {d['moved_children']} 个下级编码移到“{into}”下"
            extra_en += f"; its {_count(d['moved_children'], 'child code')} now under {into}"
        if zh:
            return f"将“{label}”合并到“{into}”：{n} 处编码{extra_zh}"
        return f"merged {label} into {into}: {_count(n, 'coding')}{extra_en}"
    if entry.action == "split":
        new = d.get("new")
        if zh:
            return f"将“{label}”的 {n} 处编码拆分到“{into}”{'（新编码）' if new else ''}" + (
                f"，其中 {joined} 处与已有编码重合" if joined else ""
            )
        return (
            f"split {_count(n, 'coding')} of {label} into {into}"
            f"{' (a new code)' if new else ''}"
            + (f", {joined} joined with codings already there" if joined else "")
        )
    if entry.action == "delete":
        children = d.get("children", 0)
        if zh:
            return (
                f"删除“{label}”（{entry.code_id}）"
                + (f"及其 {children} 个下级编码" if children else "")
                + (f"，连同 {n} 处编码" if n else "")
            )
        return (
            f"deleted {label} ({entry.code_id})"
            + (f" with its {_count(children, 'child code')}" if children else "")
            + (f" and {_count(n, 'coding')}" if n else "")
        )
    return f"{entry.action} {entry.code_id}"


def _describe_edit(entry: CodebookEntry, zh: bool) -> str:
    d = entry.details
    label, new_label = d.get("label", ""), d.get("new_label", "")
    fields = d.get("fields", {})
    others = [name for name in fields if name != "label"]
    parts = []
    if entry.target_id:  # the id changed
        if zh:
            parts.append(
                f"将“{label}”（{entry.code_id}）更名为“{new_label}”（{entry.target_id}），"
                f"{entry.codings} 处编码随之更改"
            )
        else:
            parts.append(
                f"renamed {label} ({entry.code_id}) to {new_label} ({entry.target_id}): "
                f"{_count(entry.codings, 'coding')} "
                f"follow{'s' if entry.codings == 1 else ''}"
            )
    elif "label" in fields:
        parts.append(
            f"将“{label}”更名为“{new_label}”" if zh else f"relabelled {label} as {new_label}"
        )
    if others:
        names = [_FIELD_NAMES[n] if zh else n for n in others]
        if zh:
            parts.append(f"修改“{new_label}”的{'、'.join(names)}")
        else:
            parts.append(f"edited {new_label}: {', '.join(names)}")
    return ("；" if zh else "; ").join(parts) or (f"修改“{label}”" if zh else f"edited {label}")


def history_rows(project: Project, lang: str = "en") -> tuple[tuple[str, ...], list[list[str]]]:
    """The codebook's history as a table for a methods chapter: columns (when, coder,
    action, code, change) in ``lang``, and one row per change that stands, oldest first."""
    zh = lang == "zh"
    rows = []
    for entry in project.codebook_history():
        action = _ACTIONS.get(entry.action, (entry.action, entry.action))[1 if zh else 0]
        code = entry.code_id + (f" → {entry.target_id}" if entry.target_id else "")
        rows.append([entry.created, entry.coder, action, code, describe(entry, lang)])
    return HISTORY_COLUMNS["zh" if zh else "en"], rows
