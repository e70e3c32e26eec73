"""Files stalecreds writes and reads: private, never through a planted link, bounded in size.

The one place for file creation and reading limits; every writer and reader goes through it.

* Written files (``--output``, plans, journals, the history database) are created ``0600`` and
  their new folders ``0700``, whatever the umask: together they are a target list.
* A symbolic link at the final path component is never written through: a result replaces the
  link itself (the temporary file is made in the link's folder), and a journal or history
  database behind a link is refused. Only a link to a pipe or a terminal (``/dev/stdout``) is
  written through, in place, as a pipe or terminal given directly is.
* A result is written to a temporary file beside it (``O_EXCL``, ``0600``), flushed, fsynced and
  renamed over the target, so readers never see half a file and a failed run leaves no file.
  Standard output is spooled (in memory up to a limit, then on disk) and copied out only once
  rendering succeeded.
* Every input has a size limit, checked before it is read into memory: a regular file by its
  size, anything else (``/dev/zero``, a pipe) by reading at most the limit and one byte more.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TextIO, cast

from stalecreds.errors import InputError

SPOOL_IN_MEMORY_BYTES = 32 * 1024 * 1024
"""Standard output kept in memory up to this size before it spills to a temporary file."""

PRIVATE_FILE_MODE = 0o600
"""The mode of every file stalecreds creates (owner read and write only)."""
PRIVATE_FOLDER_MODE = 0o700
"""The mode of every folder stalecreds creates (owner only)."""

KIB = 1024
MIB = 1024 * KIB


def size_text(limit: int) -> str:
    """A byte count in words: ``512 MiB``, ``64 KiB``, ``100 bytes``."""
    if limit >= MIB and limit % MIB == 0:
        return f"{limit // MIB} MiB"
    if limit >= KIB and limit % KIB == 0:
        return f"{limit // KIB} KiB"
    return f"{limit} bytes"


def too_large(name: str, what: str, limit: int) -> InputError:
    """The error for an input beyond its size limit."""
    return InputError(
        name, f"larger than {size_text(limit)}, the limit for {what}; not read (is it {what}?)"
    )


def make_private_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents with mode ``0700``, whatever the umask.

    Folders that exist are left as they are. Raises ``OSError`` naming the folder.
    """
    missing: list[Path] = []
    current = folder
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, PRIVATE_FOLDER_MODE)
        except FileExistsError:
            continue
        os.chmod(path, PRIVATE_FOLDER_MODE)  # the umask may have taken bits away


def _written_through(status: os.stat_result | None) -> bool:
    """Whether a path with this ``stat`` is written in place: a pipe, terminal or socket."""
    return status is not None and (
        stat.S_ISFIFO(status.st_mode)
        or stat.S_ISCHR(status.st_mode)
        or stat.S_ISSOCK(status.st_mode)
    )


def _stat(path: Path, *, follow: bool) -> os.stat_result | None:
    try:
        return os.stat(path, follow_symlinks=follow)
    except (FileNotFoundError, NotADirectoryError):
        return None


def write_file_atomically(path: Path, render: Callable[[TextIO], object]) -> None:
    """Call ``render`` with a text stream and install what it wrote at ``path`` atomically.

    A new file is created ``0600``; a replaced regular file keeps its own mode. A symbolic link
    at ``path`` is replaced by the file (its target is never written), unless it points at a
    pipe or terminal (``/dev/stdout``), which is written through. A pipe, terminal or device
    such as ``/dev/null`` is written in place, never replaced. If ``render`` raises, nothing is
    left at ``path`` (an existing file is untouched) and the error propagates. Raises
    ``OSError`` naming ``path`` when it cannot be written.
    """
    own = _stat(path, follow=False)
    if own is not None and stat.S_ISLNK(own.st_mode):
        target = _stat(path, follow=True)
        if _written_through(target):
            own = target
    if own is not None and _written_through(own):
        with open(path, "w", encoding="utf-8", newline="") as stream:
            render(stream)
        return
    keep_mode = (
        stat.S_IMODE(own.st_mode)
        if own is not None and stat.S_ISREG(own.st_mode)
        else PRIVATE_FILE_MODE
    )
    folder = path.parent
    try:
        # mkstemp: O_CREAT | O_EXCL, mode 0600, in the target's own folder (rename is atomic)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            render(stream)
            stream.flush()
            os.fchmod(stream.fileno(), keep_mode)
            os.fsync(stream.fileno())
        # os.replace renames over the path itself: a link there is replaced, never followed.
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise OSError(error.errno, error.strerror, str(path)) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def refuse_link_or_special(path: Path, what: str) -> None:
    """Raise :class:`InputError` when ``path`` is a symbolic link or exists but is not a file.

    For files stalecreds reads and writes in place (journals, the history database): a link
    could make it write another user's file, and a device (``/dev/null``, ``/dev/full``) is
    not ``what``. A missing path passes.
    """
    own = _stat(path, follow=False)
    if own is None:
        return
    if stat.S_ISLNK(own.st_mode):
        raise InputError(
            str(path), f"is a symbolic link; {what} is never read or written through one"
        )
    if not stat.S_ISREG(own.st_mode):
        raise InputError(str(path), f"is not a regular file, so it cannot be {what}")


def open_private_append(path: Path, what: str) -> TextIO:
    """Open ``path`` to append text, creating it ``0600`` (and its folders ``0700``).

    Never through a symbolic link (``O_NOFOLLOW``), and only a regular file. Raises
    :class:`InputError` naming the path.
    """
    refuse_link_or_special(path, what)
    try:
        make_private_folders(path.parent)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        handle = os.open(path, flags, PRIVATE_FILE_MODE)
    except OSError as error:
        raise InputError(str(path), f"cannot write {what}: {error.strerror or error}") from None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise InputError(str(path), f"is not a regular file, so it cannot be {what}")
    return open(handle, "a", encoding="utf-8")


def create_private_file(path: Path, what: str) -> None:
    """Create ``path`` empty with mode ``0600`` (folders ``0700``) unless it exists.

    For files another library then opens (SQLite): it keeps the mode it finds. Refuses a
    symbolic link or a path that is not a regular file. Raises :class:`InputError`.
    """
    refuse_link_or_special(path, what)
    try:
        make_private_folders(path.parent)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        os.close(os.open(path, flags, PRIVATE_FILE_MODE))
    except FileExistsError:
        return
    except OSError as error:
        raise InputError(str(path), f"cannot create {what}: {error.strerror or error}") from None


def regular_file_size(stream: IO[bytes]) -> int | None:
    """The size of the regular file open as ``stream``; ``None`` for a pipe, device or buffer."""
    try:
        status = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def read_stream_bounded(stream: IO[bytes], limit: int, name: str, what: str) -> bytes:
    """All of ``stream``, refused (:class:`InputError`) when longer than ``limit`` bytes.

    A regular file is refused by its size before it is read; anything else is read up to
    ``limit`` bytes and one more.
    """
    size = regular_file_size(stream)
    if size is not None and size > limit:
        raise too_large(name, what, limit)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large(name, what, limit)
    return data


def read_file_bounded(path: Path, limit: int, what: str) -> bytes:
    """The bytes of the file at ``path``, at most ``limit`` of them.

    See :func:`read_stream_bounded`. Raises :class:`InputError` naming the path.
    """
    try:
        with open(path, "rb") as stream:
            return read_stream_bounded(stream, limit, str(path), what)
    except IsADirectoryError:
        raise InputError(str(path), f"is a folder, not {what}") from None
    except OSError as error:
        raise InputError(str(path), error.strerror or str(error)) from None


def read_text_bounded(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text (a BOM dropped) of the file at ``path``, at most ``limit`` bytes.

    Raises :class:`InputError` naming the path.
    """
    data = read_file_bounded(path, limit, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text") from None


def same_file(first: Path, second: Path) -> bool:
    """Whether two paths name the same file: one file that exists, or the same resolved path."""
    try:
        if first.exists() and second.exists():
            return first.samefile(second)
        return first.resolve() == second.resolve()
    except (OSError, RuntimeError):
        return False


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
