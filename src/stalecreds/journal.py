"""The apply journal: append-only JSON lines, flushed and fsynced before each IAM call returns.

Every step of an apply is written twice: ``step-start`` before the IAM call and ``step-end``
after it, with the outcome. An interrupted apply therefore leaves a ``step-start`` with no end,
and a re-run knows exactly what may have happened. ``undo`` appends ``undo-start``/``undo-end``
records to the same file. Secrets are never written.

Default location: ``<user data dir>/stalecreds/journals/<plan_id>.jsonl`` (platformdirs).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platformdirs import user_data_path

from stalecreds.errors import InputError


def journal_directory() -> Path:
    """Where journals go by default (created on first use)."""
    return user_data_path("stalecreds", appauthor=False) / "journals"


def default_journal_path(plan_id: str) -> Path:
    """The default journal of a plan."""
    return journal_directory() / f"{plan_id}.jsonl"


class Journal:
    """An open journal file; each :meth:`record` is one durable line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

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


def read_journal(path: Path) -> list[dict[str, Any]]:
    """All records of a journal, in order. A torn last line (a crash mid-write) is ignored.

    Raises :class:`InputError` naming the file and line for anything else unreadable.
    """
    name = str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(name, f"cannot read the journal: {error}") from None
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            if number == len(lines):
                break  # torn final write
            raise InputError(name, f"not a journal line: {error.msg}", line=number) from None
        if not isinstance(record, dict) or "event" not in record:
            raise InputError(name, "not a journal record", line=number)
        records.append(record)
    return records


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
                when = datetime.fromisoformat(str(record["time"]))
            except (KeyError, ValueError):
                continue
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
        yield from read_journal(path)
    except InputError:
        return
