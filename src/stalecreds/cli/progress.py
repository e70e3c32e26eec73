"""What the commands show while a workflow runs: the library's observer hooks, on stderr."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from stalecreds.accounts.selection import Account
from stalecreds.workflows.progress import QuietObserver


class TerminalObserver(QuietObserver):
    """A scan's progress on standard error: the wait for IAM's report, and the accounts.

    The progress bar of accounts done and failed is drawn only when standard error is a
    terminal.
    """

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._failed = 0

    def report_waiting(self, state: str) -> None:
        """Say that the scan waits for IAM's credential report."""
        click.echo(f"stalecreds: waiting for the credential report ({state})", err=True)

    def accounts_started(self, total: int) -> None:
        """Start a progress bar (transient) when standard error is a terminal."""
        if not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._failed = 0
        self._progress = Progress(
            TextColumn("accounts"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("scan", total=total, failed=0)
        self._progress.start()

    def account_done(self, account: Account, ok: bool) -> None:
        """Advance the bar."""
        if self._progress is None:
            return
        self._failed += 0 if ok else 1
        self._progress.update(self._task, advance=1, failed=self._failed)

    def accounts_finished(self) -> None:
        """Remove the bar."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class JournalNotice(QuietObserver):
    """Apply's notice of its journal, on standard error, before the first step."""

    def journal_opened(self, path: Path) -> None:
        """Name the journal."""
        click.echo(f"stalecreds: journal: {path}", err=True)
