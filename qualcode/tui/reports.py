"""The reports screen: the tables of ``qualcode report`` and ``qualcode agreement`` with bar
charts, exported like the CLI exports them; the quotes behind a cross-tab cell and the units
where coders disagree, each one a jump back into the transcript.

Reports are computed by :mod:`qualcode.analysis` and :mod:`qualcode.agreement` in thread
workers, on connections of their own: the screen appears at once and each table fills in
as it is ready (pandas loads there, never before the first paint). A worker's error is a
notification; a result that a newer computation replaced is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Select, Static, TabbedContent, TabPane
from textual.worker import Worker

from ..errors import QualcodeError
from ..exchange.tables import frame_cells, write_tables
from ..model import Coding
from ..store import Project
from .dialogs import TextPrompt
from .i18n import t, translate_bindings
from .retrieve import RetrieveScreen
from .workers import Jobs, notify_error

if TYPE_CHECKING:
    import pandas as pd

# Which column of each report the bar chart draws.
_BARS = {"frequencies": "segments", "words": "count", "agreement": "krippendorff_alpha"}
_EIGHTHS = " ▏▎▍▌▋▊▉"
# The cross-tab's tables a researcher can switch between (the chi-square tests show below),
# with the message naming each.
CROSSTAB_VIEWS = {
    "counts": "reports.view_counts",
    "row %": "reports.view_row",
    "column %": "reports.view_column",
    "expected": "reports.view_expected",
}
_TOTAL = "Total"


def bar(value: float, largest: float, cells: int = 16) -> Text:
    """A horizontal bar of ``value`` against ``largest``, in eighths of a cell."""
    if not largest or value is None or value <= 0:  # NaN arrives as None (frame_cells)
        return Text("")
    eighths = round(cells * 8 * min(value, largest) / largest)
    return Text("█" * (eighths // 8) + _EIGHTHS[eighths % 8].strip(), style="green")


def cell(value: object, percent: bool = False) -> object:
    """A table cell as the CLI prints it: blank for None, a count as a whole number (a column
    with blanks holds floats), any other float as rounded, on the right (DataTable would pad
    it to two decimals: 66.7 as 66.70, κ 0.8352 as 0.84)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and not percent:
            return int(value)
        return Text(str(value), justify="right")
    return value


@dataclass(frozen=True, slots=True)
class Jump:
    """Where the workbench should go: a span of a transcript."""

    transcript: str
    start: int
    end: int


class ReportsScreen(Screen[Jump | None]):
    """Frequencies, cross-tab by an attribute, code × transcript matrix, co-occurrence, word
    frequencies and agreement, one tab each. ``e`` exports the tab shown; enter on a cross-tab
    cell lists the quotes behind it, enter on a disagreement jumps to it in the transcript
    (reopening the screen keeps its place)."""

    DEFAULT_CSS = """
    ReportsScreen {
        & #title { height: 1; padding: 0 1; background: $panel; color: $text; }
        & #tabs { height: 1fr; }
        & DataTable { height: 1fr; }
        & #crosstab-controls { height: auto; }
        & #crosstab-controls Select { width: 36; margin-right: 1; }
        & #crosstab-hint { height: 1; padding: 0 1; color: $text-muted; }
        & #chi-square-label { height: 1; padding: 0 1; color: $text; text-style: bold; }
        & #chi-square-table { height: 2fr; max-height: 12; }
        & #crosstab-table { height: 3fr; }
        & #agreement-note { height: auto; padding: 1 2; color: $text-muted; }
        & .table-note { height: auto; padding: 0 1; color: $text-muted; }
        & #disagreements { height: 1fr; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", id="reports.close"),
        Binding("e", "export", "Export", id="reports.export"),
    ]
    TABS = ("frequencies", "crosstab", "matrix", "cooccurrence", "words", "agreement")

    def __init__(
        self, project: Project, lang: str, tab: str = "frequencies", disagreement_row: int = 0
    ) -> None:
        super().__init__()
        self.project = project
        self.lang = lang
        self.tab = tab
        self.disagreement_row = disagreement_row  # kept by the workbench: walk them in turn
        # Each report's tables by tab id, as they come in from the workers.
        self.tables: dict[str, list[tuple[str, pd.DataFrame]]] = {}
        self.attributes: list[str] = []
        self.coders: list[str] = []
        self.attribute: str | None = None  # of the cross-tab shown
        self.disagreements: pd.DataFrame | None = None
        self.jobs = Jobs()

    def compose(self) -> ComposeResult:
        lang = self.lang
        yield Static(t("reports.computing", lang), id="title")
        with TabbedContent(id="tabs", initial=self.tab):
            for tab in self.TABS:
                with TabPane(t(f"reports.{tab}", lang), id=tab):
                    if tab == "crosstab":
                        with Vertical():
                            with Horizontal(id="crosstab-controls"):
                                yield Select[str]([], id="attribute", prompt=t("reports.by", lang))
                                yield Select[str](
                                    [(t(key, lang), v) for v, key in CROSSTAB_VIEWS.items()],
                                    id="crosstab-view",
                                    value="counts",
                                    allow_blank=False,
                                )
                            yield DataTable(
                                id="crosstab-table", zebra_stripes=True, cursor_type="cell"
                            )
                            yield Static(t("reports.cell_hint", lang), id="crosstab-hint")
                            yield Static(t("reports.chi_square", lang), id="chi-square-label")
                            yield DataTable(
                                id="chi-square-table", zebra_stripes=True, cursor_type="none"
                            )
                            yield Static(id="crosstab-note", classes="table-note")
                    elif tab == "agreement":
                        with Vertical():
                            yield Static(id="agreement-note")
                            yield DataTable(id="agreement-table", zebra_stripes=True)
                            yield DataTable(
                                id="disagreements", cursor_type="row", zebra_stripes=True
                            )
                            yield Static(id="agreement-unit-note", classes="table-note")
                    else:
                        with Vertical():
                            yield DataTable(id=f"{tab}-table", zebra_stripes=True)
                            yield Static(id=f"{tab}-note", classes="table-note")
        yield Footer()

    def on_mount(self) -> None:
        translate_bindings(self, self.lang)
        self.query_one("#agreement-note").display = False
        self.compute()

    # --- computing -------------------------------------------------------------------------

    def compute(self) -> None:
        """Every report, off the UI thread; each table is shown as soon as it is ready."""
        self.query_one("#title", Static).update(t("reports.computing", self.lang))
        self._compute(self.jobs.start("reports"), self.jobs.start("crosstab"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="reports")
    def _compute(self, job: int, crosstab_job: int) -> None:
        from .. import agreement, analysis

        def show(tab: str, tables: list[tuple[str, pd.DataFrame]]) -> None:
            self.app.call_from_thread(self._show, tab, tables, job)

        with Project.open(self.project.folder) as project:
            attributes = project.attribute_names()
            counts = {c: sum(project.code_counts(c).values()) for c in project.coders()}
            coders = [c for c, n in counts.items() if n]
            self.app.call_from_thread(self._show_meta, attributes, coders, job)
            notes = self._notes(len(project.transcript_names()))
            self.app.call_from_thread(self._show_notes, notes, job)
            show("frequencies", [("frequencies", analysis.frequencies(project))])
            if attributes:
                attribute = self.attribute or attributes[0]
                crosstab = analysis.crosstab(project, attribute).tables()
                self.app.call_from_thread(self._show_crosstab, attribute, crosstab, crosstab_job)
            show("matrix", [("matrix", analysis.matrix(project))])
            show(
                "cooccurrence",
                [("cooccurrence", analysis.cooccurrence(project, with_ancestors=False))],
            )
            show("words", [("words", analysis.word_frequencies(project, top=200))])
            if len(coders) >= 2:
                show("agreement", agreement.agreement(project, coders).tables())
        self.app.call_from_thread(self._done, job)

    def compute_crosstab(self, attribute: str) -> None:
        """The cross-tab by ``attribute``, off the UI thread."""
        self._compute_crosstab(attribute, self.jobs.start("crosstab"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="crosstab")
    def _compute_crosstab(self, attribute: str, job: int) -> None:
        from .. import analysis

        with Project.open(self.project.folder) as project:
            tables = analysis.crosstab(project, attribute).tables()
        self.app.call_from_thread(self._show_crosstab, attribute, tables, job)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if notify_error(self, event, self.lang) and event.worker.group == "reports":
            self.query_one("#title", Static).update(t("reports.failed", self.lang))

    # --- showing ---------------------------------------------------------------------------

    def _live(self, group: str, job: int) -> bool:
        """Whether a result of job ``job`` may be shown: no newer job of ``group`` replaced
        it and the screen is still open (a thread cannot be stopped when it closes)."""
        return self.is_attached and self.jobs.current(group, job)

    def _show_meta(self, attributes: list[str], coders: list[str], job: int) -> None:
        if not self._live("reports", job):
            return
        self.attributes, self.coders = attributes, coders
        select = self.query_one("#attribute", Select)
        with select.prevent(Select.Changed):
            select.set_options([(a, a) for a in attributes])
            if attributes:
                select.value = self.attribute or attributes[0]
        note = self.query_one("#agreement-note", Static)
        note.display = len(coders) < 2
        for table in ("#agreement-table", "#disagreements"):
            self.query_one(table).display = len(coders) >= 2
        if len(coders) < 2:
            note.update(
                t("reports.one_coder", self.lang, coder=coders[0])
                if coders
                else t("reports.no_coder", self.lang)
            )

    def _notes(self, transcripts: int) -> dict[str, str]:
        """The note under each table, as the CLI prints it: the counting unit and how
        parent codes count (the screen's reports use the CLI's defaults)."""
        from ..exchange.tables import table_note

        kinds = {
            "frequencies": ("frequencies", {"base": transcripts}),
            "crosstab": ("crosstab.respondents", {}),
            "matrix": ("matrix.segments", {}),
            "cooccurrence": ("cooccurrence.overlap", {}),
            "words": ("words", {}),
            "agreement": ("agreement", {"unit": "sentence"}),
        }
        return {tab: table_note(kind, self.lang, **fields) for tab, (kind, fields) in kinds.items()}

    def _show_notes(self, notes: dict[str, str], job: int) -> None:
        if not self._live("reports", job):
            return
        for tab, note in notes.items():
            self.query_one(
                f"#{tab}-unit-note" if tab == "agreement" else f"#{tab}-note", Static
            ).update(note)

    def _show(self, tab: str, tables: list[tuple[str, pd.DataFrame]], job: int) -> None:
        if not self._live("reports", job):
            return  # a newer computation is on its way, or the screen is closed
        self.tables[tab] = tables
        _, frame = tables[0]
        self._fill(self.query_one(f"#{tab}-table", DataTable), frame, _BARS.get(tab))
        if tab == "agreement":
            self.disagreements = tables[1][1]
            table = self.query_one("#disagreements", DataTable)
            self._fill(table, self.disagreements, None)
            if len(self.disagreements):
                table.move_cursor(row=min(self.disagreement_row, len(self.disagreements) - 1))

    def _show_crosstab(
        self, attribute: str, tables: list[tuple[str, pd.DataFrame]], job: int
    ) -> None:
        if not self._live("crosstab", job):
            return
        self.attribute = attribute
        self.tables["crosstab"] = tables
        select = self.query_one("#attribute", Select)
        if select.value != attribute:
            with select.prevent(Select.Changed):
                select.value = attribute
        self._fill_crosstab()

    def _fill_crosstab(self) -> None:
        tables = dict(self.tables.get("crosstab", []))
        if not tables:
            return
        view = self.query_one("#crosstab-view", Select).value
        table = self.query_one("#crosstab-table", DataTable)
        where = table.cursor_coordinate
        shown = view if isinstance(view, str) else "counts"
        self._fill(table, tables[shown], None, percent="%" in shown)
        table.move_cursor(row=where.row, column=where.column)
        self._fill(self.query_one("#chi-square-table", DataTable), tables["chi-square"], None)

    def _done(self, job: int) -> None:
        if self._live("reports", job):
            title = t("reports.title", self.lang, coders=", ".join(self.coders) or "—")
            self.query_one("#title", Static).update(title)

    def _fill(
        self,
        table: DataTable,
        frame: pd.DataFrame,
        bar_column: str | None,
        *,
        percent: bool = False,
    ) -> None:
        columns, rows = frame_cells(frame, percent=percent)
        table.clear(columns=True)
        table.add_columns(*columns, *([""] if bar_column in columns else []))
        if bar_column in columns:
            i = columns.index(bar_column)
            values = [row[i] for row in rows if isinstance(row[i], int | float)]
            largest = max(values, default=0)
            rows = [[*row, bar(row[i], largest)] for row in rows]
        table.add_rows([[cell(v, percent) for v in row] for row in rows])

    @on(Select.Changed, "#attribute")
    def _attribute_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.compute_crosstab(event.value)

    @on(Select.Changed, "#crosstab-view")
    def _view_chosen(self) -> None:
        self._fill_crosstab()

    # --- drilling down ---------------------------------------------------------------------

    @on(DataTable.CellSelected, "#crosstab-table")
    def _cell_chosen(self, event: DataTable.CellSelected) -> None:
        """Enter on a cell: the quotes behind it (a code and a value of the attribute; the
        Total column or the code's own columns: every value)."""
        counts = dict(self.tables.get("crosstab", [])).get("counts")
        row, column = event.coordinate.row, event.coordinate.column
        if counts is None or self.attribute is None or row >= len(counts) - 1:
            self.app.bell()  # the last row is the base of each value, not a code
            return
        code_id = str(counts.iloc[row]["code_id"])
        name = str(counts.columns[column])
        value = None if column < 2 or name == _TOTAL else name
        label = str(counts.iloc[row]["code"]) or code_id
        self._drill(self.attribute, code_id, value, label, self.jobs.start("drill"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="drill")
    def _drill(self, attribute: str, code_id: str, value: str | None, label: str, job: int) -> None:
        from .. import analysis

        with Project.open(self.project.folder) as project:
            segments = analysis.crosstab_segments(project, attribute, code_id, value)
            lineage = {info.id: info.lineage for info in analysis.codes(project)}
            codings: list[Coding] = []
            for name in dict.fromkeys(segments["transcript"]):
                # The coding behind each segment: one of the code or of a descendant.
                by_span: dict[tuple[int, int, str], Coding] = {}
                for coding in project.codings(name):
                    if code_id in lineage.get(coding.code_id, (coding.code_id,)):
                        by_span.setdefault((coding.start, coding.end, coding.coder), coding)
                mine = segments[segments["transcript"] == name]
                codings += [
                    by_span[(int(s), int(e), c)]
                    for s, e, c in zip(mine["start"], mine["end"], mine["coder"], strict=True)
                    if (int(s), int(e), c) in by_span
                ]
        self.app.call_from_thread(self._drilled, attribute, value, label, codings, job)

    def _drilled(
        self, attribute: str, value: str | None, label: str, codings: list[Coding], job: int
    ) -> None:
        if not self._live("drill", job) or self.app.screen is not self:
            return
        where = (
            f"{attribute} = {value}"
            if value is not None
            else t("reports.any_value", self.lang, attribute=attribute)
        )
        title = f"{label} × {where}"

        def jump(coding: Coding | None) -> None:
            if coding is not None:
                self.dismiss(Jump(coding.transcript, coding.start, coding.end))

        self.app.push_screen(RetrieveScreen(self.project, title, codings, self.lang), jump)

    @on(DataTable.RowSelected, "#disagreements")
    def _disagreement_chosen(self, event: DataTable.RowSelected) -> None:
        self.disagreement_row = event.cursor_row
        row = self.disagreements.iloc[event.cursor_row]
        self.dismiss(Jump(str(row["transcript"]), int(row["start"]), int(row["end"])))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_export(self) -> None:
        tab = self.query_one(TabbedContent).active
        tables = self.tables.get(tab)
        if not tables:
            return
        default = str(self.project.folder / "reports" / f"{tab}.xlsx")

        def export(path: str | None) -> None:
            if not path:
                return
            target = Path(path).expanduser()
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                written = write_tables(
                    target, [(name, *frame_cells(frame, rounded=False)) for name, frame in tables]
                )
                # The chart beside the table (frequencies.png next to frequencies.xlsx).
                from ..charts import chart_beside

                chart = chart_beside(
                    self.project,
                    tab,
                    tables,
                    target,
                    self.lang,
                    self.attribute if tab == "crosstab" else "",
                )
                written += [chart] if chart else []
            except (QualcodeError, OSError) as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.notify(
                t("reports.exported", self.lang, path=", ".join(map(str, written))), markup=False
            )

        self.app.push_screen(
            TextPrompt(t("reports.export_to", self.lang), self.lang, default), export
        )
