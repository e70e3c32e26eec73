"""Write a rendered result to a file or standard output, all or nothing.

A file is written to a temporary file beside it, flushed, fsynced and renamed over the target,
so readers never see half a file and a failed run leaves no file. Standard output is spooled
(in memory up to a limit, then on disk) and copied out only once rendering succeeded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, cast

SPOOL_IN_MEMORY_BYTES = 32 * 1024 * 1024
"""Standard output kept in memory up to this size before it spills to a temporary file."""


def write_file_atomically(path: Path, render: Callable[[TextIO], object]) -> None:
    """Call ``render`` with a text stream and install what it wrote at ``path`` atomically.

    The file gets the usual permissions for a new file (``0o666`` less the umask). If ``render``
    raises, nothing is left at ``path`` (an existing file is untouched) and the error propagates.
    Raises ``OSError`` when the folder cannot be written.
    """
    target = path.resolve()
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            render(stream)
            stream.flush()
            os.fsync(stream.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_stdout_when_complete(stdout: TextIO, render: Callable[[TextIO], object]) -> None:
    """Call ``render`` with a spool and copy the spool to ``stdout`` only if it succeeds."""
    with tempfile.SpooledTemporaryFile(
        max_size=SPOOL_IN_MEMORY_BYTES, mode="w+", encoding="utf-8", newline=""
    ) as spool:
        text_spool = cast(TextIO, spool)  # a text-mode spool is a TextIO in all but its stubs
        render(text_spool)
        text_spool.seek(0)
        shutil.copyfileobj(text_spool, stdout, 1024 * 1024)
    stdout.flush()
