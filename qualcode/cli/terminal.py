"""Long tables in the terminal (or a pipe) without building a rich ``Table`` over every row.

rich measures, wraps and renders every cell of a ``Table`` as styled segments before it
prints a line: 1,000 rows of ``qualcode list`` cost it about 0.9 s, the 37,000 sentences of
a 3 MB transcript about 15 s. A listing that long is printed here instead, in one pass:
each column as wide as its widest cell (in terminal cells: a Chinese character takes two,
measured as ``rich.cells.cell_len`` does), the widest columns narrowed until the table fits
the console, their cells folded onto further lines, with the same box and bold header as
rich's default table. Short tables keep going through rich (:func:`qualcode.cli.emit`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate, pairwise

from rich.cells import cell_len, chop_cells
from rich.console import Console
from rich.text import Text

from ..exchange.tables import CHARACTER_WIDTHS, EMOJI_SELECTOR, ZERO_WIDTH_JOINER, text_width

# rich's default box (HEAVY_HEAD): heavy lines around the header, light ones below it.
_TOP = ("┏", "━", "┳", "┓")
_HEAD = ("┃", "┃", "┃")
_UNDER_HEAD = ("┡", "━", "╇", "┩")
_ROW = ("│", "│", "│")
_BOTTOM = ("└", "─", "┴", "┘")


def column_widths(
    natural: Sequence[int], available: int, floors: Sequence[Sequence[int]] = ()
) -> list[int]:
    """Widths of columns whose widest cells take ``natural`` terminal cells, in a table no
    wider than ``available`` cells (borders and one space of padding on each side of a
    cell included): as they are when they fit, else the widest narrowed to the same width,
    as wide as the room allows, none below the first of ``floors`` that leaves room (say
    the widest value under a header wider still, so that headers fold before values do,
    then only the columns kept whole) nor below one."""
    n = len(natural)
    budget = available - (n + 1) - 2 * n
    if sum(natural) <= budget:
        return list(natural)
    floor = next((list(f) for f in floors if sum(f) <= budget), [1] * n)

    def fitted(cap: int) -> list[int]:
        return [max(low, min(w, cap)) for low, w in zip(floor, natural, strict=True)]

    low, high = 1, max(natural, default=1)
    while low < high:  # the largest cap T that fits
        middle = (low + high + 1) // 2
        if sum(fitted(middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    widths = fitted(low)
    spare = budget - sum(widths)
    for i, w in enumerate(natural):  # the cells left over: one more each to capped columns
        if spare <= 0:
            break
        if w > widths[i]:
            widths[i] += 1
            spare -= 1
    return widths


def table_lines(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int | None,
    right: Sequence[bool] = (),
    whole: Sequence[bool] = (),
) -> tuple[list[str], list[str]]:
    """The lines of a table of ``columns`` and ``rows`` (cells as text) fitting ``width``
    terminal cells (None: as wide as its cells): ``(header lines, body lines)``. The header
    lines are the top border, the column names (several lines when a name is folded) and
    the line under them; the body lines the rows, each cell padded to its column's width in
    terminal cells (a cell too wide folded onto further lines), then the bottom border.
    ``right``: per column, whether its values are aligned to the right (numbers);
    ``whole``: whether its values are never folded (ids, labels) while others can be."""
    n = len(columns)
    header = [_plain(str(c)) for c in columns]
    body = [[_plain(v) for v in row] for row in rows]
    # One pass measures every cell; the sizes are kept for the padding.
    sizes = [[text_width(v) for v in row] for row in body]
    values = [max(column, default=0) for column in zip(*sizes, strict=True)] if sizes else [0] * n
    header_sizes = [text_width(c) for c in header]
    natural = [max(h, v) for h, v in zip(header_sizes, values, strict=True)]
    kept = [i < len(whole) and whole[i] for i in range(n)]
    floors = (
        [w if keep else v for w, v, keep in zip(natural, values, kept, strict=True)],
        [w if keep else 1 for w, keep in zip(natural, kept, strict=True)],
    )
    widths = natural if width is None else column_widths(natural, width, floors)
    flush = [bool(right) and i < len(right) and right[i] for i in range(n)]

    def pad(cell: str, size: int, w: int, i: int) -> str:
        return " " * (w - size) + cell if flush[i] else cell + " " * (w - size)

    def lines_of(cells: list[str], sized: list[int], edges: tuple[str, str, str]) -> list[str]:
        left, middle, right = edges
        joint = f" {middle} "
        if all(size <= w for size, w in zip(sized, widths, strict=True)) and "\n" not in "".join(
            cells
        ):
            if not any(flush):
                return [
                    f"{left} "
                    + joint.join(
                        [
                            cell + " " * (w - size)
                            for cell, size, w in zip(cells, sized, widths, strict=True)
                        ]
                    )
                    + f" {right}"
                ]
            return [
                f"{left} "
                + joint.join(
                    [
                        pad(cell, size, w, i)
                        for i, (cell, size, w) in enumerate(zip(cells, sized, widths, strict=True))
                    ]
                )
                + f" {right}"
            ]
        folded = [fold(cell, w) for cell, w in zip(cells, widths, strict=True)]
        out = []
        for k in range(max(len(parts) for parts in folded)):
            out.append(
                f"{left} "
                + joint.join(
                    [
                        pad(*parts[k], w, i) if k < len(parts) else " " * w
                        for i, (parts, w) in enumerate(zip(folded, widths, strict=True))
                    ]
                )
                + f" {right}"
            )
        return out

    def rule(edges: tuple[str, str, str, str]) -> str:
        left, line, cross, right = edges
        return left + cross.join(line * (w + 2) for w in widths) + right

    top = [rule(_TOP), *lines_of(header, header_sizes, _HEAD), rule(_UNDER_HEAD)]
    lines = [
        line
        for cells, sized in zip(body, sizes, strict=True)
        for line in lines_of(cells, sized, _ROW)
    ]
    lines.append(rule(_BOTTOM))
    return top, lines


def fold(text: str, width: int) -> list[tuple[str, int]]:
    """``text`` cut into lines of at most ``width`` terminal cells (at least one character
    each), at its own line breaks too, each with the cells it takes; a zero-width
    character stays with the one before."""
    lines = []
    for line in text.split("\n"):
        if line.isascii() and line.isprintable():
            lines += [
                (line[i : i + width], len(line[i : i + width])) for i in range(0, len(line), width)
            ] or [("", 0)]
        elif ZERO_WIDTH_JOINER in line or EMOJI_SELECTOR in line:
            lines += [(chunk, cell_len(chunk)) for chunk in chop_cells(line, width)] or [("", 0)]
        else:
            reach = list(accumulate(map(CHARACTER_WIDTHS.__getitem__, line)))
            if not reach or reach[-1] <= width:
                lines.append((line, reach[-1] if reach else 0))
                continue
            start, used = 0, 0
            while start < len(line):
                stop = max(bisect_right(reach, used + width, lo=start), start + 1)
                lines.append((line[start:stop], reach[stop - 1] - used))
                used, start = reach[stop - 1], stop
    return lines


def print_long_table(
    console: Console,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    title: str | None = None,
    *,
    right: Sequence[bool] = (),
    whole: Sequence[bool] = (),
    fit: bool = True,
) -> None:
    """Print a table of many rows on ``console`` (its file; its width when ``fit``, else
    as wide as the cells) the way rich's default table looks, a title centred above it in
    italics and the column names in bold where the console shows styles, without rich
    rendering each row. ``right``: per column, whether it is aligned to the right;
    ``whole``: whether its cells are kept whole, never folded, while others can be."""
    header, body = table_lines(
        columns,
        [["" if v is None else str(v) for v in row] for row in rows],
        console.width if fit else None,
        right,
        whole,
    )
    if title:  # centred over the table (rich's console would centre it on its own width)
        room = max(0, text_width(header[0]) - text_width(title))
        console.print(
            Text(" " * (room // 2))
            + Text(title, style="table.title")
            + Text(" " * (room - room // 2)),
            soft_wrap=True,
        )
    console.print(header[0], markup=False, highlight=False, soft_wrap=True)
    for line in header[1:-1]:
        text = Text(line)
        for piece_start, piece_end in _cell_spans(line):
            text.stylize("bold", piece_start, piece_end)
        console.print(text, soft_wrap=True)
    console.print(header[-1], markup=False, highlight=False, soft_wrap=True)
    out = console.file
    step = 2000  # written in chunks: one write per line would cost more than the rendering
    for i in range(0, len(body), step):
        out.write("\n".join(body[i : i + step]) + "\n")
    out.flush()


def _cell_spans(line: str) -> list[tuple[int, int]]:
    """Where the cells' text lies in a header line (between its ┃ borders)."""
    bars = [i for i, ch in enumerate(line) if ch == "┃"]
    return [(a + 1, b) for a, b in pairwise(bars)]


def _plain(text: str) -> str:
    # A tab would jump to the terminal's next tab stop and a CR back to the line's start:
    # either would break the columns.
    return text.replace("\t", " ").replace("\r", "") if "\t" in text or "\r" in text else text
