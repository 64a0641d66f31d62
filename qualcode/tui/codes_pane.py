"""The codebook pane's refinements: edit, rename, move, reorder, merge, delete a code, add a
child or sibling, and split a code's codings from retrieve, each through
:mod:`qualcode.codes` (one transaction, one undoable step of the coder, one line of the
codebook's history).

:class:`CodebookPane` is a part of the workbench screen (a mixin of
:class:`~qualcode.tui.workbench.WorkbenchScreen`): its ``action_code_*`` methods are the
actions of the ``pane="codebook"`` rows of the workbench's ``ACTIONS``, bound on the codebook
tree and offered in the command palette. After each change the tree is updated in place: the
cursor stays on the code (its new id after a rename, the code merged into after a merge),
collapsed branches stay collapsed, and the counts, the margin and the transcript list show
the change at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from .. import codes
from ..codes import CodeChange
from ..model import Code, Coding
from .codes_dialogs import TOP_LEVEL, CodeChooser, CodeForm, CodeFormScreen
from .dialogs import ChoiceList, CodePicker, NewCode
from .i18n import t
from .retrieve import Recode
from .workers import reported

if TYPE_CHECKING:
    from .workbench import WorkbenchScreen

    _Base = WorkbenchScreen
else:
    _Base = object


class CodebookPane(_Base):
    """The codebook pane's actions, on the code under the tree's cursor."""

    def _code_tree(self) -> Tree[str]:
        return self.query_one("#codebook", Tree)

    def _cursor_code(self) -> str | None:
        """The id of the code under the codebook's cursor; a bell when there is none."""
        node = self._code_tree().cursor_node
        if node is None or not node.data:
            self.app.bell()
            return None
        return node.data

    def _refined(self, change: CodeChange | None) -> None:
        """Show a refinement at once: the codebook, its keys and counts, the margin and the
        rows of the transcripts whose codings it changed; the tree keeps what is collapsed
        and puts its cursor on the code the change leaves (see :class:`CodeChange`)."""
        if change is None:
            self.app.notify(t("notify.nothing_changed", self.lang), timeout=2)
            return
        renamed = change.renamed
        collapsed = {
            renamed.get(code_id, code_id)
            for code_id, node in self._code_nodes.items()
            if node.allow_expand and not node.is_expanded
        }
        if change.entry.action == "reorder" and change.code_id in self._code_nodes:
            # The tree adds what it misses where the codebook has it: take the code out, so
            # that it comes back (with its branch) at its new place among its siblings.
            self._drop(self._code_nodes[change.code_id])
        shown = [self.transcript.name] if self.transcript is not None else []
        # The open transcript too: a label or colour changed redraws its margin.
        self._codebook_changed([*change.transcripts, *shown])
        for code_id in collapsed & set(self._code_nodes):
            node = self._code_nodes[code_id]
            if node.is_expanded:
                node.collapse()
        self._show_code(change.code_id)
        self.app.notify(change.text(self.lang), timeout=4)

    def _show_code(self, code_id: str) -> None:
        """Put the tree's cursor on ``code_id``, or on the nearest ancestor not inside a
        collapsed branch (a collapsed branch stays collapsed)."""
        node: TreeNode[str] | None = self._code_nodes.get(code_id)
        if node is None:
            return
        chain = []
        while node is not None and node.data:
            chain.append(node)
            node = node.parent
        target = next(
            (
                n
                for i, n in enumerate(reversed(chain))
                if n.parent is not None and n.parent.data and not n.parent.is_expanded
            ),
            None,
        )
        tree = self._code_tree()
        tree.last_line  # noqa: B018 - lays the tree out, so the node knows its line
        tree.move_cursor(target.parent if target is not None else chain[0])

    # --- editing and renaming ---------------------------------------------------------------

    @reported
    def action_code_edit(self, focus: str = "description") -> None:
        """Edit the definition of the code under the cursor (all its fields, its id too)."""
        code_id = self._cursor_code()
        if code_id is None or not self._need_coder():
            return
        code = self.codebook.by_id()[code_id]

        @reported
        def save(form: CodeForm | None) -> None:
            if form is not None:
                self._refined(
                    codes.edit_code(
                        self.project, code_id, self.coder, new_id=form.code_id, **form.fields
                    )
                )

        self.app.push_screen(
            CodeFormScreen(self.lang, self.codebook.by_id(), code=code, focus=focus), save
        )

    @reported
    def action_code_rename(self) -> None:
        """Rename the code under the cursor: the form, with the cursor on its label."""
        self.action_code_edit(focus="label")

    @reported
    def action_code_new(self, where: str = "child") -> None:
        """A new code under the code at the cursor (``child``) or beside it (``sibling``);
        with nothing under the cursor, at the top level."""
        node = self._code_tree().cursor_node
        here = node.data if node is not None and node.data else None
        if not self._need_coder():
            return
        if where == "sibling" and here is not None:
            parent = self._code_nodes[here].parent
            here = parent.data if parent is not None and parent.data else None
        parent_label = self.codebook.by_id()[here].label if here else ""

        @reported
        def save(form: CodeForm | None) -> None:
            if form is None:
                return
            code = Code(form.code_id, **form.fields)
            self.project.add_code(code, form.parent_id, coder=self.coder)
            self._refined(CodeChange(self.project.codebook_history()[-1], code.id))

        self.app.push_screen(
            CodeFormScreen(
                self.lang, self.codebook.by_id(), parent_id=here, parent_label=parent_label
            ),
            save,
        )

    # --- moving -------------------------------------------------------------------------------

    @reported
    def action_code_move(self) -> None:
        """Move the code under the cursor (with its branch) under a parent chosen in a
        picker, or to the top level."""
        code_id = self._cursor_code()
        if code_id is None or not self._need_coder():
            return
        below = self._below(code_id)

        @reported
        def move(parent: str | None) -> None:
            if parent is not None:
                self._refined(
                    codes.move_code(
                        self.project,
                        code_id,
                        self.coder,
                        parent_id=codes.TOP if parent == TOP_LEVEL else parent,
                    )
                )

        label = self.codebook.by_id()[code_id].label
        self.app.push_screen(
            CodeChooser(
                self.codebook,
                t("chooser.move", self.lang, code=label),
                self.lang,
                excluded={code_id, *below},
                top_level=True,
                matcher=self.matcher,
            ),
            move,
        )

    @reported
    def action_code_order(self, step: int) -> None:
        """Move the code under the cursor up (``step`` -1) or down among its siblings."""
        code_id = self._cursor_code()
        if code_id is None or not self._need_coder():
            return
        node = self._code_nodes[code_id]
        siblings = [n.data for n in (node.parent.children if node.parent else [])]
        index = siblings.index(code_id) + step
        if not 0 <= index < len(siblings):
            self.app.bell()
            return
        self._refined(codes.move_code(self.project, code_id, self.coder, position=index))

    def _below(self, code_id: str) -> list[str]:
        code = self.codebook.by_id()[code_id]
        found, todo = [], list(code.children)
        while todo:
            child = todo.pop()
            found.append(child.id)
            todo.extend(child.children)
        return found

    # --- merging and deleting -----------------------------------------------------------------

    @reported
    def action_code_merge(self) -> None:
        """Merge the code under the cursor into one chosen in a picker; when it has child
        codes, ask whether they are merged too or move under the chosen code."""
        code_id = self._cursor_code()
        if code_id is None or not self._need_coder():
            return
        by_id = self.codebook.by_id()
        label, below = by_id[code_id].label, self._below(code_id)

        @reported
        def merge(into: str | None, with_children: bool = False) -> None:
            if into is not None:
                self._refined(
                    codes.merge_codes(
                        self.project, code_id, into, self.coder, with_children=with_children
                    )
                )

        def chosen(into: str | None) -> None:
            if into is None or not below:
                merge(into)
                return
            into_label = by_id[into].label
            items = [
                ("children", t("choice.merge_with_children", self.lang, n=len(below))),
                ("alone", t("choice.merge_alone", self.lang, n=len(below), into=into_label)),
                ("cancel", t("prompt.cancel", self.lang)),
            ]
            self.app.push_screen(
                ChoiceList(
                    t("choice.merge_title", self.lang, code=label, into=into_label),
                    items,
                    self.lang,
                ),
                lambda answer: (
                    answer in ("children", "alone") and merge(into, answer == "children")
                ),
            )

        self.app.push_screen(
            CodeChooser(
                self.codebook,
                t("chooser.merge", self.lang, code=label),
                self.lang,
                excluded={code_id, *below},
                matcher=self.matcher,
            ),
            chosen,
        )

    @reported
    def action_code_delete(self) -> None:
        """Delete the code under the cursor, after asking; when codings use it, offer to merge
        it into another code, or to delete them too, saying how many."""
        code_id = self._cursor_code()
        if code_id is None or not self._need_coder():
            return
        label = self.codebook.by_id()[code_id].label
        found = codes.usage(self.project, code_id, with_children=True)
        lang = self.lang
        items: list[tuple[str, str]] = []
        if found.codings:
            items.append(("merge", t("choice.delete_merge", lang)))
        items.append(
            (
                "delete",
                t("choice.delete_with", lang, count=found.codings, n=len(found.children))
                if found.codings or found.children
                else t("choice.delete", lang),
            )
        )
        items.append(("cancel", t("prompt.cancel", lang)))

        @reported
        def answer(choice: str | None) -> None:
            if choice == "merge":
                self.action_code_merge()
            elif choice == "delete":
                self._refined(
                    codes.delete_code(
                        self.project, code_id, self.coder, with_codings=True, with_children=True
                    )
                )

        title = t(
            "choice.delete_title", lang, code=label, count=found.codings, n=len(found.children)
        )
        self.app.push_screen(ChoiceList(title, items, lang, current="cancel"), answer)

    # --- splitting, from retrieve -------------------------------------------------------------

    def _retrieved(self, code_id: str, result: Coding | Recode | Any) -> None:
        """What retrieve closed with: a segment to jump to, or segments marked to recode."""
        if isinstance(result, Recode):
            self._split(code_id, result.coding_ids)
        else:
            self._jump(result)

    def _split(self, code_id: str, coding_ids: tuple[int, ...]) -> None:
        """Recode the marked codings of ``code_id`` to a code chosen (or created) in the
        picker: one step, undone as one."""
        if not self._need_coder():
            return

        @reported
        def split(into: str | NewCode | None) -> None:
            if into is None:
                return
            if isinstance(into, NewCode):
                change = codes.split_codings(
                    self.project,
                    code_id,
                    into.code_id,
                    coding_ids,
                    self.coder,
                    new_code=Code(into.code_id, into.label),
                    parent_id=into.parent_id,
                )
            elif into == code_id:
                self.app.bell()
                return
            else:
                change = codes.split_codings(self.project, code_id, into, coding_ids, self.coder)
            self._refined(change)

        title = t("chooser.split", self.lang, count=len(coding_ids), code=self._label(code_id))
        self.app.push_screen(
            CodePicker(
                self.codebook,
                self.lang,
                title,
                matcher=self.matcher,
                memos=self.project.code_memos(self.coder),
            ),
            split,
        )
