"""What the commands show while a workflow runs: the library's observer hooks, on stderr."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from stalecreds.accounts.selection import Account
from stalecreds.cli.common import note, quiet
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
        note(f"waiting for the credential report ({state})")

    def reading(self, stream: IO[bytes]) -> contextlib.AbstractContextManager[object]:
        """A progress bar of a large report file's reading (see :func:`read_progress`)."""
        return read_progress(stream, show=not quiet())

    def accounts_started(self, total: int) -> None:
        """Start a progress bar (transient) when standard error is a terminal."""
        if not sys.stderr.isatty() or quiet():
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
        note(f"journal: {path}")


PROGRESS_MIN_BYTES = 4 * 1024 * 1024
"""Reading a report of at least this size (about 20,000 rows) shows a progress bar."""

_POLL_SECONDS = 0.1


@contextlib.contextmanager
def read_progress(stream: IO[bytes], *, show: bool = True) -> Iterator[None]:
    """Show how much of the report file ``stream`` has been read, on standard error.

    Only when ``show``, standard error is a terminal, and ``stream`` is a regular file of at
    least :data:`PROGRESS_MIN_BYTES`. The bar follows the file's offset from a thread (nothing
    is added to the per-row work) and disappears once the file is read or the block ends,
    before the results are written.
    """
    try:
        fd = stream.fileno()
        status = os.fstat(fd)
    except (AttributeError, OSError, ValueError):
        yield
        return
    if not (show and sys.stderr.isatty()) or not stat.S_ISREG(status.st_mode):
        yield
        return
    if status.st_size < PROGRESS_MIN_BYTES:
        yield
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("reading"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("read", total=status.st_size)
    done = threading.Event()

    def follow() -> None:
        while not done.wait(_POLL_SECONDS):
            try:
                offset = os.lseek(fd, 0, os.SEEK_CUR)
            except OSError:
                break
            progress.update(task, completed=offset)
            if offset >= status.st_size:
                break
        progress.stop()

    progress.start()
    follower = threading.Thread(target=follow, name="stalecreds-progress", daemon=True)
    follower.start()
    try:
        yield
    finally:
        done.set()
        follower.join()
