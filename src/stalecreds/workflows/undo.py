"""The undo workflow: read an apply's journal, then reactivate the keys it deactivated.

Two calls, so that a caller can ask before anything changes: :func:`prepare_undo` reads and
checks the journal; :func:`undo_apply` acts. Deleted keys and deleted or reset passwords cannot
be restored; each result says what can be done instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stalecreds.errors import InputError
from stalecreds.remediate.journal import Journal, check_journal, load_journal
from stalecreds.remediate.undo import UndoOutcome, UndoResult, applied_steps


@dataclass(frozen=True)
class UndoRequest:
    """What to undo: the ``journal`` of an apply.

    ``recreate_login_profile`` gives users whose console password was deleted a new one, with
    a one-time password returned in the result (for a person to hand over; never journalled).
    ``profile``/``region``: the boto3 session that undoes.
    """

    journal: Path
    recreate_login_profile: bool = False
    profile: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class PreparedUndo:
    """A checked journal: ``pending`` are the applied steps not undone since, in order.

    ``torn_lines`` are journal lines a crash cut short (ignored).
    """

    request: UndoRequest
    records: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    torn_lines: tuple[int, ...]


@dataclass(frozen=True)
class UndoReport:
    """Each pending step's undo, in journal order."""

    results: list[UndoResult]

    @property
    def failed(self) -> bool:
        """True when any undo failed (an AWS error; the others still ran)."""
        return any(result.outcome is UndoOutcome.FAILED for result in self.results)


def prepare_undo(request: UndoRequest) -> PreparedUndo:
    """Read and check the journal; change nothing.

    Raises :class:`InputError` for a file that cannot be read or is not a stalecreds journal.
    """
    contents = load_journal(request.journal)
    records = contents.records
    check_journal(records, str(request.journal))
    if not any(record["event"] == "apply-start" for record in records):
        raise InputError(str(request.journal), "not a stalecreds journal (no apply-start record)")
    return PreparedUndo(request, records, applied_steps(records), contents.torn_lines)


def undo_apply(prepared: PreparedUndo | UndoRequest) -> UndoReport:
    """Undo every pending step that can be undone (an :class:`UndoRequest` is prepared first).

    Each undo is journalled in the same file; one failure never stops the others. Raises
    :class:`ConfigError` for a profile that does not exist; AWS errors of single steps are in
    the results.
    """
    if isinstance(prepared, UndoRequest):
        prepared = prepare_undo(prepared)
    if not prepared.pending:
        return UndoReport([])
    from stalecreds.aws.session import iam_client, make_session
    from stalecreds.remediate.undo import undo

    request = prepared.request
    iam = iam_client(make_session(request.profile, request.region))
    with Journal(request.journal) as journal:
        results = undo(
            prepared.records,
            iam,
            journal,
            recreate_login_profile=request.recreate_login_profile,
        )
    return UndoReport(results)
