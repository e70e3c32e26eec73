"""The library API: every workflow of the command line, as typed requests and results.

- scan: :class:`ScanRequest` → :func:`run_scan` (a context manager yielding a ``ScanOutput``);
- plan: :class:`PlanRequest` → :func:`make_plan` → :class:`PlanResult`;
- apply: :class:`ApplyRequest` → :func:`prepare_apply` → :func:`apply_plan` → :class:`ApplyResult`;
- undo: :class:`UndoRequest` → :func:`prepare_undo` → :func:`undo_apply` → :class:`UndoReport`;
- history: :func:`record_scan`, :func:`past_trend`, :func:`read_history`.

Progress reaches the caller only through an :class:`Observer` it passes; nothing here prints,
and nothing imports click or rich. Errors are the tree of :mod:`stalecreds.errors`. Names are
imported on first use: a report-file scan never loads boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stalecreds.lazy import lazy_exports

if TYPE_CHECKING:
    from stalecreds.workflows.apply import (
        ApplyRequest,
        ApplyResult,
        PreparedApply,
        apply_plan,
        prepare_apply,
    )
    from stalecreds.workflows.history import (
        HistoryRequest,
        HistoryView,
        past_trend,
        read_history,
        record_scan,
    )
    from stalecreds.workflows.plan import PlanRequest, PlanResult, make_plan
    from stalecreds.workflows.progress import Observer, QuietObserver
    from stalecreds.workflows.scan import ScanRequest, run_scan
    from stalecreds.workflows.undo import (
        PreparedUndo,
        UndoReport,
        UndoRequest,
        prepare_undo,
        undo_apply,
    )

_EXPORTS = {
    "ApplyRequest": "apply",
    "ApplyResult": "apply",
    "PreparedApply": "apply",
    "apply_plan": "apply",
    "prepare_apply": "apply",
    "HistoryRequest": "history",
    "HistoryView": "history",
    "past_trend": "history",
    "read_history": "history",
    "record_scan": "history",
    "PlanRequest": "plan",
    "PlanResult": "plan",
    "make_plan": "plan",
    "Observer": "progress",
    "QuietObserver": "progress",
    "ScanRequest": "scan",
    "run_scan": "scan",
    "PreparedUndo": "undo",
    "UndoReport": "undo",
    "UndoRequest": "undo",
    "prepare_undo": "undo",
    "undo_apply": "undo",
}
__all__ = [
    "ApplyRequest",
    "ApplyResult",
    "HistoryRequest",
    "HistoryView",
    "Observer",
    "PlanRequest",
    "PlanResult",
    "PreparedApply",
    "PreparedUndo",
    "QuietObserver",
    "ScanRequest",
    "UndoReport",
    "UndoRequest",
    "apply_plan",
    "make_plan",
    "past_trend",
    "prepare_apply",
    "prepare_undo",
    "read_history",
    "record_scan",
    "run_scan",
    "undo_apply",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
