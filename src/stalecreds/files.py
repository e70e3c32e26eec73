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

    A new file gets the usual permissions (``0o666`` less the umask); a replaced file keeps its
    own. If ``render`` raises, nothing is left at ``path`` (an existing file is untouched) and
    the error propagates. A path that exists but is not a regular file (``/dev/null``, a FIFO,
    ``/dev/stdout``) is written in place, never replaced. Raises ``OSError`` naming ``path``
    when it cannot be written.
    """
    target = path.resolve()
    if target.exists() and not target.is_file():
        with open(target, "w", encoding="utf-8", newline="") as stream:
            render(stream)
        return
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            render(stream)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            mode = target.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise OSError(error.errno, error.strerror, str(path)) from None
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
