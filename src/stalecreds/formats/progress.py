"""A progress bar on standard error while a large report file is read (terminals only).

rich is imported only when a bar is shown: the offline scan to JSON starts without it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import threading
from collections.abc import Iterator
from typing import IO

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
