"""The apply journal: append-only JSON lines, flushed and fsynced before each IAM call is made.

Every step of an apply is written twice: ``step-start`` before the IAM call and ``step-end``
after it, with the outcome. An interrupted apply therefore leaves a ``step-start`` with no end,
and a re-run knows exactly what may have happened. ``undo`` appends ``undo-start``/``undo-end``
records to the same file. Secrets are never written. A journal belongs to one plan: it begins
with an ``apply-start`` record naming the plan, and every later ``apply-start`` names the same.

A crash (or power loss) while a record is written can leave its line unfinished: the last line
of the file without its newline. Readers ignore that one line (:attr:`JournalContents.torn_lines`)
— its record never fully reached disk, and no IAM call was made on its strength — and the next
:class:`Journal` opened on the file moves it out of the way (see :meth:`Journal.__init__`).
What such a line means, record by record:

* ``apply-start``/``undo-start`` torn: no IAM call followed (it comes only after the fsync).
* ``step-start`` torn: the IAM call of that step was not made; the step has no record yet.
* ``step-end`` torn: the call may have been made; its intact ``step-start`` stays the step's last
  record, so a re-run and ``undo`` treat the step as interrupted and re-check live IAM.
* ``undo-end`` torn: the reactivation may have been made; the step stays pending and the next
  ``undo`` finds the key Active (nothing to do) or reactivates it.

Default location: ``<user data dir>/stalecreds/journals/<plan_id>.jsonl`` (platformdirs).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from platformdirs import user_data_path

from stalecreds.errors import InputError
from stalecreds.files import (
    MIB,
    open_private_append,
    read_file_bounded,
    refuse_link_or_special,
)
from stalecreds.timestamps import parse_time

TORN_WRITE = "torn-write"
"""The event a :class:`Journal` records when it set aside an unfinished last line."""

_RECORD_START = '{"event": "'
"""How every record this module writes begins (``json.dumps`` of a dict whose first key is
``event``): an unfinished line is one that starts like this, or is a shorter piece of it."""


JOURNAL_MAX_BYTES = 64 * MIB
"""The largest journal read: about 100,000 steps applied (600 bytes each); more is refused."""

_WHAT = "a stalecreds journal"


def journal_directory() -> Path:
    """Where journals go by default (created on first use)."""
    return user_data_path("stalecreds", appauthor=False) / "journals"


def default_journal_path(plan_id: str) -> Path:
    """The default journal of a plan."""
    return journal_directory() / f"{plan_id}.jsonl"


class JournalContents(NamedTuple):
    """A journal as read.

    ``records`` in file order; ``torn_lines``: the 1-based numbers of the lines that held a
    write a crash cut short, ignored (empty when every line was whole).
    """

    records: list[dict[str, Any]]
    torn_lines: tuple[int, ...]


def _unfinished(fragment: str) -> bool:
    """Whether ``fragment`` (text that is not valid JSON) is the beginning of a record."""
    return fragment.startswith(_RECORD_START) or _RECORD_START.startswith(fragment)


def _as_record(text: str) -> dict[str, Any] | None:
    """``text`` as a journal record (a JSON object with an ``event``), else ``None``."""
    try:
        record = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    return record if isinstance(record, dict) and "event" in record else None


def _glued(line: str) -> dict[str, Any] | None:
    """The whole record at the end of ``line`` when an unfinished one precedes it, else ``None``.

    Earlier versions appended the next record straight onto an unfinished last line, and such
    journals must stay undoable. A record's text cannot contain ``{"event": "`` except at its
    start (JSON escapes quotes inside strings), so the whole record begins at its next one.
    """
    start = line.find(_RECORD_START, 1)
    if start < 0 or not _unfinished(line[:start]):
        return None
    return _as_record(line[start:])


def _is_plan(data: bytes) -> bool:
    """True when ``data`` is a whole JSON document with a plan's ``plan_id`` and ``steps``."""
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(document, dict) and {"plan_id", "steps"} <= document.keys()


def load_journal(path: Path, *, check_times: bool = True) -> JournalContents:
    """All records of a journal, in order, and the numbers of the lines a crash cut short.

    A missing file has no records. A journal must be a regular file (not a link, not a device
    such as ``/dev/null``) of at most :data:`JOURNAL_MAX_BYTES`; with ``check_times`` every
    record's ``time`` must be an ISO 8601 time with a UTC offset in the years 1970 to 9000.

    A cut-short line is tolerated in two places only: the last
    line, when it has no newline and starts like a record (``{"event": "…``); and a line where
    such a piece is directly followed by a whole record (as earlier versions wrote them),
    whose record is kept. Raises :class:`InputError` naming the file (and the line) for anything
    else unreadable: a malformed or non-record line anywhere, bytes that are not UTF-8.
    """
    name = str(path)
    refuse_link_or_special(path, _WHAT)
    if not path.exists():
        return JournalContents([], ())
    data = read_file_bounded(path, JOURNAL_MAX_BYTES, _WHAT)
    head, _, tail = data.rpartition(b"\n")
    try:
        lines = head.decode("utf-8").split("\n") if head else []
    except UnicodeDecodeError as error:
        raise InputError(name, f"cannot read the journal: {error}") from None
    records: list[dict[str, Any]] = []
    torn: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except RecursionError:
            raise InputError(name, "not a journal record: nested too deeply", line=number) from None
        except json.JSONDecodeError as error:
            glued = _glued(line)
            if glued is None:
                if number == 1 and _is_plan(data):
                    raise InputError(
                        name, "this is a plan, not a journal (give it to apply as the plan)"
                    ) from None
                raise InputError(
                    name, f"not a journal line: {error.msg}", line=number, column=error.colno
                ) from None
            torn.append(number)
            records.append(glued)
            continue
        if not isinstance(record, dict) or "event" not in record:
            raise InputError(name, "not a journal record", line=number)
        if check_times:
            _check_time(record, name, number)
        records.append(record)
    if tail.strip():
        number = len(lines) + 1
        last = _last_line(tail)
        if isinstance(last, dict):
            if check_times:
                _check_time(last, name, number)
            records.append(last)  # whole: only its newline is missing
        elif last:
            torn.append(number)
        else:
            raise InputError(name, "not a journal record", line=number)
    return JournalContents(records, tuple(torn))


def _check_time(record: dict[str, Any], name: str, line: int) -> None:
    """Refuse a record whose ``time`` is not an aware ISO 8601 time of a plausible year."""
    if "time" not in record:
        return  # torn-write pieces glued by earlier versions may lack it; nothing reads it
    try:
        parse_time(record["time"])
    except ValueError as error:
        raise InputError(name, f"'time' {error}", line=line) from None


def _last_line(tail: bytes) -> dict[str, Any] | bool:
    """A last line without newline: its record if whole, ``True`` if cut short, else ``False``."""
    try:
        whole = _as_record(tail.decode("utf-8"))
    except UnicodeDecodeError:
        whole = None  # cut inside a multi-byte character
    if whole is not None:
        return whole
    return _unfinished(tail.decode("utf-8", errors="replace"))


def read_journal(path: Path) -> list[dict[str, Any]]:
    """All records of a journal, in order (:func:`load_journal` without the torn-line number)."""
    return load_journal(path).records


def check_journal(records: list[dict[str, Any]], name: str, plan_id: str | None = None) -> None:
    """Refuse records that are not a stalecreds journal, or (with ``plan_id``) another plan's.

    No records is a new journal and passes. Otherwise the first record (a ``torn-write`` aside)
    must be ``apply-start``, and with ``plan_id`` every ``apply-start`` must name that plan:
    step IDs repeat across plans, so another plan's journal would make apply report steps as
    done that it never did. Raises :class:`InputError` naming the file.
    """
    first = next((r for r in records if r["event"] != TORN_WRITE), None)
    if first is None:
        return
    if first["event"] != "apply-start":
        raise InputError(
            name, f"not a stalecreds journal (it begins with {first['event']!r}, not apply-start)"
        )
    if plan_id is None:
        return
    for record in records:
        if record["event"] == "apply-start" and record.get("plan_id") != plan_id:
            raise InputError(
                name,
                f"this journal is of plan {record.get('plan_id')}, not of plan {plan_id}; "
                "apply with the plan's own journal (leave out --journal) or a new file",
            )


class Journal:
    """An open journal file; each :meth:`record` is one durable line."""

    def __init__(self, path: Path) -> None:
        """Open ``path`` for appending (creating it and its folders).

        If the file ends in an unfinished record (see :func:`load_journal`), the next record
        must not be written onto it: the unfinished bytes are cut off and kept, as text, in a
        ``torn-write`` record (``line``, ``fragment``), so the file stays one record per line.
        This is the one change ever made to written bytes, and it is safe: those bytes were
        never a record, and a crash during it leaves either the old or the repaired file. A
        whole record missing only its newline gets the newline. Raises :class:`InputError` when
        the last line is neither (call :func:`load_journal` first to report it).
        """
        self.path = path
        refuse_link_or_special(path, _WHAT)
        torn = self._end_cleanly(path)
        self._file = open_private_append(path, _WHAT)
        if torn is not None:
            line, fragment = torn
            self.record(TORN_WRITE, line=line, fragment=fragment)

    @staticmethod
    def _end_cleanly(path: Path) -> tuple[int, str] | None:
        """Make the file end with a newline; the (line, text) of an unfinished record cut off."""
        if not path.exists():
            return None
        data = read_file_bounded(path, JOURNAL_MAX_BYTES, _WHAT)
        if not data or data.endswith(b"\n"):
            return None
        head, newline, tail = data.rpartition(b"\n")
        line = head.count(b"\n") + (2 if newline else 1)
        last = _last_line(tail) if tail.strip() else {}
        if last is False:
            raise InputError(str(path), "not a journal record", line=line)
        with open(path, "r+b") as file:
            if isinstance(last, dict):  # a whole record or blanks: only the newline is missing
                file.seek(0, os.SEEK_END)
                file.write(b"\n")
            else:
                file.truncate(len(head) + len(newline))
            file.flush()
            os.fsync(file.fileno())
        return None if isinstance(last, dict) else (line, tail.decode("utf-8", errors="replace"))

    def record(self, event: str, **fields: Any) -> None:
        """Append one event with the current UTC time, then flush and fsync."""
        entry = {"event": event, "time": datetime.now(UTC).isoformat(), **fields}
        self._file.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_UNDONE = ("reactivated", "recreated")
_DONE = ("applied", "already-done")


def step_outcomes(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last ``step-end`` record of each step ID, or its ``step-start`` if it never ended.

    A step undone since keeps its ``undo-end`` record (that reactivated or recreated): applying
    the same plan again must not silently redo what someone chose to undo.
    """
    outcomes: dict[str, dict[str, Any]] = {}
    for record in records:
        step_id = str(record.get("step_id"))
        undone = record["event"] == "undo-end" and record.get("outcome") in _UNDONE
        if record["event"] in ("step-start", "step-end") or undone:
            outcomes[step_id] = record
    return outcomes


def deactivations(directory: Path | None = None) -> dict[str, datetime]:
    """When each access key was last deactivated by an apply, by access key ID.

    Read from every journal in ``directory`` (default :func:`journal_directory`); used for the
    quarantine before a deactivated key is deleted. The latest deactivation counts (an
    ``already-done`` from a resumed apply too), and a later reactivation by undo cancels it.
    """
    events: list[tuple[datetime, str, bool]] = []
    folder = directory or journal_directory()
    if not folder.is_dir():
        return {}
    for path in sorted(folder.glob("*.jsonl")):
        for record in _records_quietly(path):
            key_id = record.get("access_key_id")
            if record.get("action") != "deactivate-access-key" or not isinstance(key_id, str):
                continue
            deactivated = record.get("event") == "step-end" and record.get("outcome") in _DONE
            reactivated = record.get("event") == "undo-end" and record.get("outcome") in _UNDONE
            if not (deactivated or reactivated):
                continue
            try:
                when = parse_time(record["time"])
            except (KeyError, ValueError):
                continue  # no usable time: no evidence of when it stopped working
            events.append((when, key_id, deactivated))
    found: dict[str, datetime] = {}
    for when, key_id, deactivated in sorted(events):
        if deactivated:
            found[key_id] = when
        else:
            found.pop(key_id, None)
    return found


def _records_quietly(path: Path) -> Iterator[dict[str, Any]]:
    try:
        yield from load_journal(path, check_times=False).records
    except InputError:
        return
