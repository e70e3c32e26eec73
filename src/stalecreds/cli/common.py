"""What the commands share: exit codes, errors as one line, writing output, warnings, prompts.

Nothing here imports boto3: a scan of a report file must start fast.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

import click

from stalecreds.errors import AwsError, StalecredsError
from stalecreds.files import write_file_atomically, write_stdout_when_complete
from stalecreds.formats import OutputFormat, ScanOutput
from stalecreds.formats.base import printable
from stalecreds.history.trend import TrendPoint
from stalecreds.wording import plural

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_AWS_ERROR = 3
EXIT_PARTIAL = 4
EXIT_INTERRUPTED = 130
"""Ctrl-C (SIGINT): 128 + 2, as shells report a process ended by it."""
MAX_WARNINGS_SHOWN = 10


class Verbosity(enum.IntEnum):
    """How much the CLI says on standard error besides results and errors."""

    QUIET = -1
    """``--quiet``: no progress bars, notes or warnings."""
    NORMAL = 0
    VERBOSE = 1
    """``--verbose``: every warning, not only the first :data:`MAX_WARNINGS_SHOWN`."""


_verbosity = Verbosity.NORMAL


def set_verbosity(level: Verbosity) -> None:
    """Set how much the rest of the run says (the top-level ``-q``/``-v`` options)."""
    global _verbosity
    _verbosity = level


def quiet() -> bool:
    """True with ``--quiet``."""
    return _verbosity is Verbosity.QUIET


def note(message: str) -> None:
    """Print ``stalecreds: message`` to standard error, unless ``--quiet``."""
    if _verbosity >= Verbosity.NORMAL:
        click.echo(f"stalecreds: {message}", err=True)


def stdout_if_dash(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """An ``-o/--output`` callback: ``-`` means standard output (``None``), as usual for CLIs."""
    return None if value is not None and str(value) == "-" else value


class Timestamp(click.ParamType):  # type: ignore[type-arg]  # generic only in click's stubs
    """An ISO 8601 date or time; naive values are taken as UTC."""

    name = "TIMESTAMP"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Parse ``value`` into an aware UTC datetime, or fail with a usage error."""
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date or time (e.g. 2025-06-01T00:00:00Z)")
        if not 1970 <= parsed.year <= 9000:
            self.fail(f"{value!r} is outside the years 1970 to 9000")
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``stalecreds: error: message`` to standard error and exit with ``code``."""
    click.echo(f"stalecreds: error: {message}", err=True)
    sys.exit(code)


def exit_code_for(error: StalecredsError) -> int:
    """The exit code of an error of :mod:`stalecreds.errors`: 3 for AWS errors, else 2."""
    return EXIT_AWS_ERROR if isinstance(error, AwsError) else EXIT_USAGE


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """Turn :class:`StalecredsError` into one line on standard error and its exit code."""
    try:
        yield
    except StalecredsError as error:
        fail(str(error), exit_code_for(error))


def emit(render: Callable[[IO[str]], object], output: Path | None, *, streams: bool) -> None:
    """Write with ``render`` to ``output`` atomically, or to standard output only once complete.

    ``streams`` is false for renderers that read everything before writing (the table), which
    then write straight to the terminal.
    """
    try:
        if output is not None:
            write_file_atomically(output, render)
        elif streams:
            write_stdout_when_complete(sys.stdout, render)
        else:
            render(sys.stdout)
            sys.stdout.flush()
    except BrokenPipeError:
        if output is not None:
            fail(f"{output}: Broken pipe")
        # The reader of standard output stopped reading (``| head``): not an error of the scan,
        # which still ends with its own exit code. Later writes go nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as error:
        fail(f"{error.filename or output or 'output'}: {error.strerror or error}")


def emit_scan(result: ScanOutput, chosen: OutputFormat, output: Path | None) -> None:
    """Render a scan result in the chosen format."""
    renderer = chosen.renderer()
    emit(lambda out: renderer(result, out), output, streams=chosen.streams)  # type: ignore[arg-type]


def emit_html(result: ScanOutput, output: Path | None, history: list[TrendPoint] | None) -> None:
    """Render a scan as the HTML report, with findings over time when ``history`` is given."""
    from stalecreds.formats.html import render_html

    emit(lambda out: render_html(result, out, history=history), output, streams=False)  # type: ignore[arg-type]


def show_warnings(result: ScanOutput) -> None:
    """Print the first warnings of a scan to standard error, and how many more there are.

    All that the scan kept with ``--verbose``; none with ``--quiet``.
    """
    if _verbosity is Verbosity.QUIET:
        return
    log = result.warnings
    shown = len(log.items) if _verbosity is Verbosity.VERBOSE else MAX_WARNINGS_SHOWN
    # Warnings of several accounts or report files name their own (multi_account.merge).
    label = "" if result.source.format in ("folder", "multi-account") else result.source.label
    for warning in log.items[:shown]:
        where = f"{label}, line {warning.line}" if warning.line is not None else label
        text = f"{where}: {warning.message}" if where else warning.message
        click.echo(f"stalecreds: warning: {printable(text)}", err=True)
    hidden = len(log) - min(len(log.items), shown)
    if hidden:
        click.echo(
            f"stalecreds: warning: {plural(hidden, 'more warning')} (listed in the JSON output)",
            err=True,
        )


def report_failures(result: ScanOutput) -> tuple[Any, ...]:
    """Print each account (step, call, code) or report file that could not be scanned.

    Returns them.
    """
    failures: tuple[Any, ...] = getattr(result, "failures", ())
    for outcome in failures:
        failure = outcome.failure
        if not outcome.account.account_id:  # a report file: its error names it, line and column
            click.echo(f"stalecreds: error: {printable(failure.message)}", err=True)
            continue
        name = f" ({outcome.account.name})" if outcome.account.name else ""
        click.echo(
            f"stalecreds: account {outcome.account.account_id}{name} failed at "
            f"{failure.step}: {failure.action} {failure.code}: {failure.message}",
            err=True,
        )
    return failures


def scan_errors(result: ScanOutput) -> tuple[str, ...]:
    """The failed IAM lookups of a live scan (none for a report file)."""
    errors: tuple[str, ...] = getattr(result, "errors", ())
    return errors


def warn_torn(path: Path, lines: tuple[int, ...]) -> None:
    """Say which journal lines held a record a crash cut short (they are ignored)."""
    if lines:
        where = ", ".join(str(line) for line in lines)
        click.echo(
            f"stalecreds: warning: {path}, line{'' if len(lines) == 1 else 's'} {where}: a "
            "record cut short by an interrupted run (its write did not finish); ignored, and "
            "live IAM is re-checked for the step it was about",
            err=True,
        )


def confirm(question: str) -> None:
    """Ask ``question`` on the terminal; exit 2 without one.

    "No" (the default) is a normal answer: say that nothing was changed and exit 0.
    """
    if not sys.stdin.isatty():
        fail("no terminal to confirm on: pass --yes to proceed without a prompt", EXIT_USAGE)
    if not click.confirm(question, default=False):
        click.echo("stalecreds: nothing was changed", err=True)
        sys.exit(EXIT_OK)
