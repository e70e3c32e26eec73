"""Tables people review before and after acting on credentials.

A plan's steps and exclusions, and the outcomes of apply and undo. Rendered with rich to any
text stream; colour only on a terminal.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from stalecreds.formats.base import printable
from stalecreds.formats.console import text_console
from stalecreds.model import Status
from stalecreds.remediate.actions import Action
from stalecreds.remediate.apply import Outcome, StepResult
from stalecreds.remediate.plan import Exclusion, Plan, Step
from stalecreds.remediate.undo import UndoOutcome, UndoResult
from stalecreds.wording import plural

_OUTCOME_STYLE = {
    Outcome.APPLIED: "green",
    Outcome.ALREADY_DONE: "green",
    Outcome.WOULD_APPLY: "cyan",
    Outcome.SKIPPED: "yellow",
    Outcome.FAILED: "bold red",
}


def _console(out: TextIO) -> Console:
    # rich's own console: a closed pipe ends the command (exit 1) before apply acts on anything.
    return text_console(out, Console)


def _target(step: Step) -> str:
    if step.access_key_id is not None:
        return f"access key {printable(step.access_key_id)}"
    return "console password"


def _by_account_and_user(item: Step | Exclusion) -> tuple[str, str, str, str]:
    """Rows in reading order: account, user (case-insensitive), then the credential."""
    return (item.account_id, item.user.lower(), item.user, item.access_key_id or "")


def step_reason(step: Step, plan: Plan) -> str:
    """Why the step is in the plan: the scan's reason, and for an Inactive key why it is deleted.

    An Inactive key is deleted (never deactivated again) once it has stayed Inactive and unused
    for the plan's quarantine (``policy.quarantine_days``): the staged clean-up.
    """
    reason = printable(step.evidence.reason)
    if step.action is Action.DELETE_ACCESS_KEY and step.expect_status is Status.INACTIVE:
        days = plan.policy.quarantine_days
        reason = (
            f"Staged clean-up: Inactive and unused for at least the {days}-day quarantine, so "
            f"deleted. {reason}"
        )
    return reason


def apply_question(plan: Plan) -> str:
    """What ``apply`` asks: how many steps, for which account, and how many cannot be undone.

    ``Apply 6 steps to 123456789012? 3 of them cannot be undone (1 delete-access-key, 2
    delete-login-profile).``
    """
    accounts = plan.account_id or "several accounts"
    question = f"Apply {plural(len(plan.steps), 'step')} to {accounts}?"
    final = Counter(step.action.value for step in plan.steps if not step.action.undoable)
    count = sum(final.values())
    which = ", ".join(f"{n} {action}" for action, n in sorted(final.items()))
    if not count:
        question += " Every step can be undone ('stalecreds undo')."
    elif count == len(plan.steps) == 1:
        question += f" It cannot be undone ({which})."
    else:
        question += f" {count} of them cannot be undone ({which})."
    return question


def render_plan(plan: Plan, out: TextIO, *, compact: bool = False) -> None:
    """Write the plan's steps, exclusions and a one-line summary to ``out``.

    ``compact`` lists only user, credential and action per step, and no exclusions: what
    ``apply`` shows before it asks for confirmation.
    """
    console = _console(out)
    console.print(
        Text(
            f"Plan {plan.plan_id} for account {plan.account_id or '?'} · made "
            f"{plan.created:%Y-%m-%d %H:%M} UTC · unused after {plan.thresholds.password_days} "
            f"days (passwords), {plan.thresholds.access_key_days} days (access keys)",
            style="bold",
        )
    )
    if compact:
        table = Table(title=f"Steps ({len(plan.steps)})", title_justify="left")
        for column in ("User", "Credential", "Action"):
            table.add_column(column, overflow="fold")
        for step in sorted(plan.steps, key=_by_account_and_user):
            table.add_row(printable(step.user), _target(step), step.action.value)
        if plan.steps:
            console.print(table)
    elif plan.steps:
        table = Table(title=f"Steps ({len(plan.steps)})", title_justify="left")
        for column in ("User", "Credential", "Action", "Verdict", "Last used", "Reason"):
            table.add_column(column, overflow="fold")
        for step in sorted(plan.steps, key=_by_account_and_user):
            last = step.evidence.last_used
            table.add_row(
                printable(step.user),
                _target(step),
                Text(step.action.value, style="bold"),
                step.evidence.verdict.value,
                "never" if last is None else last.date().isoformat(),
                step_reason(step, plan),
            )
        console.print(table)
    else:
        console.print("No steps: nothing the plan may act on.")
    if plan.excluded and not compact:
        table = Table(title=f"Not in the plan ({len(plan.excluded)})", title_justify="left")
        for column in ("User", "Credential", "Verdict", "Why not"):
            table.add_column(column, overflow="fold")
        for exclusion in sorted(plan.excluded, key=_by_account_and_user):
            credential = (
                f"access key {exclusion.access_key_id or exclusion.slot or '?'}"
                if exclusion.kind == "access_key"
                else "console password"
            )
            table.add_row(
                printable(exclusion.user),
                credential,
                exclusion.verdict.value,
                printable(exclusion.reason),
            )
        console.print(table)
    actions = Counter(step.action.value for step in plan.steps)
    counts = ", ".join(f"{n} {action}" for action, n in sorted(actions.items())) or "no steps"
    console.print(Text(f"{counts}; {len(plan.excluded)} not in the plan", style="bold"))


def render_results(results: list[StepResult], out: TextIO) -> None:
    """Write each step's outcome and a summary line to ``out``."""
    console = _console(out)
    table = Table(title="Apply", title_justify="left")
    for column in ("User", "Credential", "Action", "Outcome", "Detail"):
        table.add_column(column, overflow="fold")
    for result in results:
        step = result.step
        table.add_row(
            printable(step.user),
            _target(step),
            step.action.value,
            Text(result.outcome.value, style=_OUTCOME_STYLE[result.outcome]),
            result.detail,
        )
    console.print(table)
    counts = Counter(result.outcome for result in results)
    console.print(
        Text(
            " · ".join(f"{counts[o]} {o.value}" for o in Outcome if counts[o]) or "no steps",
            style="bold",
        )
    )


def render_undo(results: list[UndoResult], out: TextIO) -> None:
    """Write each undo outcome (never a password) and a summary line to ``out``."""
    console = _console(out)
    table = Table(title="Undo", title_justify="left")
    for column in ("User", "Credential", "Action undone", "Outcome", "Detail"):
        table.add_column(column, overflow="fold")
    for result in results:
        record = result.record
        key = record.get("access_key_id")
        table.add_row(
            str(record.get("user")),
            f"access key {key}" if key else "console password",
            str(record.get("action")),
            result.outcome.value,
            result.detail,
        )
    console.print(table)
    counts = Counter(result.outcome for result in results)
    console.print(
        Text(
            " · ".join(f"{counts[o]} {o.value}" for o in UndoOutcome if counts[o])
            or "nothing was applied",
            style="bold",
        )
    )


_UNDO_EFFECT = {
    Action.DEACTIVATE_ACCESS_KEY.value: "reactivate the key (if it is still Inactive)",
    Action.DELETE_ACCESS_KEY.value: "nothing: a deleted key cannot be restored",
    Action.DELETE_LOGIN_PROFILE.value: "nothing: a deleted password cannot be restored",
    Action.RESET_LOGIN_PROFILE.value: "nothing: the old password is unknown to IAM",
}


def _undo_effect(record: dict[str, Any], recreate: bool) -> str:
    action = str(record.get("action"))
    if action == Action.DELETE_LOGIN_PROFILE.value and recreate:
        return "set a new one-time console password (shown on this terminal only)"
    return _UNDO_EFFECT.get(action, "nothing: not undoable")


def _reversible(record: dict[str, Any], recreate: bool) -> bool:
    action = str(record.get("action"))
    return action == Action.DEACTIVATE_ACCESS_KEY.value or (
        recreate and action == Action.DELETE_LOGIN_PROFILE.value
    )


def render_undo_preview(records: list[dict[str, Any]], out: TextIO, *, recreate: bool) -> None:
    """Write what ``undo`` will do for each applied step (journal records), before it asks."""
    console = _console(out)
    table = Table(title=f"Applied steps ({len(records)})", title_justify="left")
    for column in ("Account", "User", "Credential", "Action applied", "Undo will"):
        table.add_column(column, overflow="fold")
    for record in sorted(records, key=lambda r: (str(r.get("account_id")), str(r.get("user")))):
        key = record.get("access_key_id")
        table.add_row(
            printable(str(record.get("account_id") or "?")),
            printable(str(record.get("user"))),
            f"access key {printable(str(key))}" if key else "console password",
            printable(str(record.get("action"))),
            _undo_effect(record, recreate),
        )
    console.print(table)


def undo_question(records: list[dict[str, Any]], *, recreate: bool) -> str:
    """What ``undo`` asks: how many steps it will reverse, and how many it cannot."""
    can = sum(1 for record in records if _reversible(record, recreate))
    cannot = len(records) - can
    question = f"Undo {plural(can, 'step')}?"
    if cannot:
        question += f" ({plural(cannot, 'other step')} cannot be undone and will only be listed.)"
    return question
