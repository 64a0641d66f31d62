"""The reports screen: the tables of ``qualcode report`` and ``qualcode agreement`` with bar
charts, exported like the CLI exports them, and the units where coders disagree, each one
a jump back into the transcript.

Reports are computed by :mod:`qualcode.analysis` and :mod:`qualcode.agreement` in a thread
worker, on a connection of its own: pandas loads there, never before the first paint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Select, Static, TabbedContent, TabPane

from ..errors import QualcodeError
from ..exchange.tables import frame_cells, write_tables
from ..store import Project
from .dialogs import TextPrompt
from .i18n import t, translate_bindings

if TYPE_CHECKING:
    import pandas as pd

# Which column of each report the bar chart draws.
_BARS = {"frequencies": "segments", "words": "count", "agreement": "krippendorff_alpha"}
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, largest: float, cells: int = 16) -> Text:
    """A horizontal bar of ``value`` against ``largest``, in eighths of a cell."""
    if not largest or value is None or value <= 0:  # NaN arrives as None (frame_cells)
        return Text("")
    eighths = round(cells * 8 * min(value, largest) / largest)
    return Text("█" * (eighths // 8) + _EIGHTHS[eighths % 8].strip(), style="green")


@dataclass(frozen=True, slots=True)
class Jump:
    """Where the workbench should go: a span of a transcript."""

    transcript: str
    start: int
    end: int


@dataclass(slots=True)
class Reports:
    """What the worker computed: each report's tables by tab id."""

    tables: dict[str, list[tuple[str, pd.DataFrame]]]
    attributes: list[str]
    coders: list[str]


class ReportsScreen(Screen[Jump | None]):
    """Frequencies, cross-tab by an attribute, code × transcript matrix, co-occurrence, word
    frequencies and agreement, one tab each. ``e`` exports the tab shown; enter on a
    disagreement jumps to it in the transcript (reopening the screen keeps its place)."""

    DEFAULT_CSS = """
    ReportsScreen {
        & #title { height: 1; padding: 0 1; background: $panel; color: $text; }
        & #tabs { height: 1fr; }
        & DataTable { height: 1fr; }
        & #disagreements { height: 1fr; }
        & Select { width: 40; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", id="reports.close"),
        Binding("e", "export", "Export", id="reports.export"),
    ]
    TABS = ("frequencies", "crosstab", "matrix", "cooccurrence", "words", "agreement")

    def __init__(self, project: Project, lang: str, tab: str = "frequencies",
                 disagreement_row: int = 0) -> None:
        super().__init__()
        self.project = project
        self.lang = lang
        self.tab = tab
        self.disagreement_row = disagreement_row  # kept by the workbench: walk them in turn
        self.reports: Reports | None = None
        self.disagreements: pd.DataFrame | None = None

    def compose(self) -> ComposeResult:
        yield Static(t("reports.computing", self.lang), id="title")
        with TabbedContent(id="tabs", initial=self.tab):
            for tab in self.TABS:
                with TabPane(t(f"reports.{tab}", self.lang), id=tab):
                    if tab == "crosstab":
                        yield Select[str]([], id="attribute", prompt=t("reports.by", self.lang))
                    if tab == "agreement":
                        with Vertical():
                            yield DataTable(id="agreement-table", zebra_stripes=True)
                            yield DataTable(id="disagreements", cursor_type="row",
                                            zebra_stripes=True)
                    else:
                        yield DataTable(id=f"{tab}-table", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self, self.lang)
        self.compute()

    @work(thread=True, exclusive=True, group="reports")
    def compute(self, attribute: str | None = None) -> None:
        """All reports, from a connection of the worker's own."""
        from .. import agreement, analysis

        with Project.open(self.project.folder) as project:
            attributes = project.attribute_names()
            attribute = attribute or (attributes[0] if attributes else None)
            counts = {c: sum(project.code_counts(c).values()) for c in project.coders()}
            coders = [c for c, n in counts.items() if n]
            tables: dict[str, list[tuple[str, pd.DataFrame]]] = {
                "frequencies": [("frequencies", analysis.frequencies(project))],
                "matrix": [("matrix", analysis.matrix(project))],
                "cooccurrence": [("cooccurrence", analysis.cooccurrence(project))],
                "words": [("words", analysis.word_frequencies(project, top=200))],
            }
            if attribute:
                tables["crosstab"] = analysis.crosstab(project, attribute).tables()
            if len(coders) >= 2:
                tables["agreement"] = agreement.agreement(project, coders).tables()
        self.app.call_from_thread(self._show, Reports(tables, attributes, coders), attribute)

    def _show(self, reports: Reports, attribute: str | None) -> None:
        self.reports = reports
        title = t("reports.title", self.lang, coders=", ".join(reports.coders) or "—")
        self.query_one("#title", Static).update(title)
        select = self.query_one("#attribute", Select)
        with select.prevent(Select.Changed):
            select.set_options([(a, a) for a in reports.attributes])
            if attribute:
                select.value = attribute
        for tab, tables in reports.tables.items():
            _, frame = tables[0]
            self._fill(self.query_one(f"#{tab}-table", DataTable), frame, _BARS.get(tab))
        if "agreement" in reports.tables:
            self.disagreements = reports.tables["agreement"][1][1]
            table = self.query_one("#disagreements", DataTable)
            self._fill(table, self.disagreements, None)
            if len(self.disagreements):
                table.move_cursor(row=min(self.disagreement_row, len(self.disagreements) - 1))

    def _fill(self, table: DataTable, frame: pd.DataFrame, bar_column: str | None) -> None:
        columns, rows = frame_cells(frame)
        table.clear(columns=True)
        table.add_columns(*columns, *([""] if bar_column in columns else []))
        if bar_column in columns:
            i = columns.index(bar_column)
            values = [row[i] for row in rows if isinstance(row[i], int | float)]
            largest = max(values, default=0)
            rows = [[*row, bar(row[i], largest)] for row in rows]
        table.add_rows([["" if v is None else v for v in row] for row in rows])

    @on(Select.Changed, "#attribute")
    def _attribute_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.compute(event.value)

    @on(DataTable.RowSelected, "#disagreements")
    def _disagreement_chosen(self, event: DataTable.RowSelected) -> None:
        self.disagreement_row = event.cursor_row
        row = self.disagreements.iloc[event.cursor_row]
        self.dismiss(Jump(str(row["transcript"]), int(row["start"]), int(row["end"])))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_export(self) -> None:
        if self.reports is None:
            return
        tab = self.query_one(TabbedContent).active
        tables = self.reports.tables.get(tab)
        if not tables:
            return
        default = str(self.project.folder / "reports" / f"{tab}.xlsx")

        def export(path: str | None) -> None:
            if not path:
                return
            target = Path(path).expanduser()
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                written = write_tables(target, [(name, *frame_cells(frame))
                                                for name, frame in tables])
            except (QualcodeError, OSError) as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.notify(t("reports.exported", self.lang, path=", ".join(map(str, written))),
                        markup=False)

        self.app.push_screen(TextPrompt(t("reports.export_to", self.lang), self.lang, default),
                             export)
