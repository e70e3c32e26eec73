"""Fitting a rich table to a width without breaking the words that must stay whole.

User names, access key IDs, verdicts and actions are single words a reader copies or scans for;
rich, left to itself, shrinks a column below its longest word and folds them (``<root`` /
``_acco`` / ``unt>``). :func:`fit_widths` instead sizes every column to its longest line, narrows
only what may wrap (dates, then credentials, then reasons) and says when nothing fits, so that the
caller can stack the rows instead of dropping columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

REASON_MIN_WIDTH = 24
"""The narrowest a flexible column (reasons) may get before the rows are stacked instead."""

REASON_COMFORT_WIDTH = 36
"""Flexible columns are narrowed to this before the wrapping ones (dates) are."""

BOX = box.HEAVY_HEAD


class Column(NamedTuple):
    """One column to fit: its header and cells (plain text), and how it may give way.

    ``wrap``: the cells may wrap between words (never inside one). ``flexible``: the column
    takes what width is left (reasons, errors). Wrapping columns of lower ``give`` narrow first.
    """

    header: str
    cells: list[str]
    wrap: bool = False
    flexible: bool = False
    give: int = 0
    jump: bool = False
    """When it narrows, go straight to the longest word (``2019-06-11 (2,699 d)``: a date and its
    age on two lines, never ``(2,699`` / ``d)``)."""


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def table_overhead(columns: int) -> int:
    """Columns taken by a table's rules and padding: a rule beside each cell, a space each side."""
    return 3 * columns + 1


def fit_widths(columns: Sequence[Column], width: int) -> list[int] | None:
    """Text widths for ``columns`` so that the table is at most ``width`` columns wide.

    Every column is first as wide as its longest line. When that is too wide, a flexible column
    narrows to :data:`REASON_COMFORT_WIDTH`, then the wrapping columns narrow to their longest
    word (dates onto two lines), then the flexible one to :data:`REASON_MIN_WIDTH` (where a word
    longer than that, such as an ARN, folds). ``None`` when even that does not fit: the caller
    stacks the rows instead.
    """
    available = width - table_overhead(len(columns))
    natural = [max(_longest_line(c.header), *map(_longest_line, c.cells)) for c in columns]
    least = [
        natural[i]
        if not (c.wrap or c.flexible)
        else max(_longest_word(c.header), *map(_longest_word, c.cells))
        for i, c in enumerate(columns)
    ]
    for i, column in enumerate(columns):
        if column.flexible:  # a long word here (an ARN in an error) may fold
            least[i] = min(natural[i], REASON_MIN_WIDTH)
    if sum(least) > available:
        return None
    widths = list(natural)

    def narrow(index: int, floor: int) -> None:
        excess = sum(widths) - available
        if excess > 0:
            widths[index] = max(floor, least[index], widths[index] - excess)

    for i, column in enumerate(columns):
        if column.flexible:
            narrow(i, REASON_COMFORT_WIDTH)
    for i in sorted(
        (i for i, c in enumerate(columns) if c.wrap and not c.flexible),
        key=lambda i: (columns[i].give, -widths[i]),
    ):
        if columns[i].jump and sum(widths) > available:
            widths[i] = least[i]
        narrow(i, least[i])
    for i, column in enumerate(columns):
        if column.flexible:
            narrow(i, least[i])
    return widths if sum(widths) <= available else None


def build_table(
    title: str,
    columns: Sequence[Column],
    widths: Sequence[int],
    styles: Sequence[Sequence[str | None]] | None = None,
    sections: Sequence[bool] | None = None,
) -> Table:
    """A rich table of ``columns`` at exactly ``widths`` (from :func:`fit_widths`)."""
    table = Table(title=title, title_justify="left", title_style="bold", box=BOX, expand=False)
    for column, width in zip(columns, widths, strict=True):
        table.add_column(column.header, width=width, overflow="fold")
    rows = len(columns[0].cells) if columns else 0
    for r in range(rows):
        cells = [
            Text(c.cells[r], style=(styles[r][i] or "") if styles else "")
            for i, c in enumerate(columns)
        ]
        table.add_row(*cells, end_section=bool(sections and sections[r]))
    return table


def print_fitted(
    console: Console,
    title: str,
    columns: Sequence[Column],
    styles: Sequence[Sequence[str | None]] | None = None,
) -> None:
    """Print ``columns`` as a table fitted to the console, or stacked when no table fits.

    Stacked: per row, the first column's cell in bold, then ``Header: cell`` for each other
    non-empty cell, indented by two.
    """
    widths = fit_widths(columns, console.width)
    if widths is not None:
        console.print(build_table(title, columns, widths, styles))
        return
    console.print(Text(title, style="bold"))
    rows = len(columns[0].cells) if columns else 0
    for r in range(rows):
        console.print(Text(columns[0].cells[r], style="bold"))
        for i, column in enumerate(columns[1:], start=1):
            cell = column.cells[r]
            if cell:
                line = Text(f"{column.header}: ")
                line.append(cell, style=(styles[r][i] or "") if styles else "")
                console.print(Padding(line, (0, 0, 0, 2), expand=False))
