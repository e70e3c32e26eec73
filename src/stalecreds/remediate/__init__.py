"""Taking credentials out of service: plan, plan file, apply, undo, the journal, the actions.

Planning is pure (:func:`build_plan`); :class:`Applier` and :func:`undo` re-check live IAM before
each step and journal it. Apply and undo import boto3, so they are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stalecreds.errors import PlanError, PlanRefused
from stalecreds.lazy import lazy_exports
from stalecreds.remediate.actions import Action
from stalecreds.remediate.journal import Journal, load_journal
from stalecreds.remediate.plan import Plan, PlanPolicy, Step, build_plan
from stalecreds.remediate.plan_file import plan_from_json, plan_to_json

if TYPE_CHECKING:
    from stalecreds.remediate.apply import Applier, Outcome, StepResult, check_plan
    from stalecreds.remediate.undo import UndoOutcome, UndoResult

_LAZY = {
    "Applier": "apply",
    "Outcome": "apply",
    "StepResult": "apply",
    "check_plan": "apply",
    "UndoOutcome": "undo",
    "UndoResult": "undo",
}
__all__ = [
    "Action",
    "Applier",
    "Journal",
    "Outcome",
    "Plan",
    "PlanError",
    "PlanPolicy",
    "PlanRefused",
    "Step",
    "StepResult",
    "UndoOutcome",
    "UndoResult",
    "build_plan",
    "check_plan",
    "load_journal",
    "plan_from_json",
    "plan_to_json",
]
__getattr__ = lazy_exports(__name__, _LAZY)
