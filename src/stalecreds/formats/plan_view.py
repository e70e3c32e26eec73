"""Tables people review before and after acting on credentials.

A plan's steps and exclusions, and the outcomes of apply and undo. Rendered with rich to any
text stream; colour only on a terminal.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from stalecreds.formats.base import printable
from stalecreds.formats.console import text_console
from stalecreds.formats.fit import Column, print_fitted
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


def _account_column(items: list[Step] | list[Exclusion]) -> list[Column]:
    """An Account column when the rows span several accounts (a plan of an organisation)."""
    if len({item.account_id for item in items}) < 2:
        return []
    return [Column("Account", [printable(item.account_id) for item in items])]


def render_plan(plan: Plan, out: TextIO, *, compact: bool = False) -> None:
    """Write the plan's steps, exclusions and a one-line summary to ``out``.

    Rows are sorted by account, then user. ``compact`` lists only user, credential and action
    per step, and no exclusions: what ``apply`` shows before it asks for confirmation.
    """
    console = _console(out)
    console.print(
        Text(
            f"Plan {printable(plan.plan_id)} for account {plan.account_id or '?'} · made "
            f"{plan.created:%Y-%m-%d %H:%M} UTC · unused after {plan.thresholds.password_days} "
            f"days (passwords), {plan.thresholds.access_key_days} days (access keys)",
            style="bold",
        )
    )
    steps = sorted(plan.steps, key=_by_account_and_user)
    title = f"Steps ({len(steps)})"
    columns = [
        *_account_column(steps),
        Column("User", [printable(step.user) for step in steps]),
        Column("Credential", [_target(step) for step in steps], wrap=True, give=2),
        Column("Action", [step.action.value for step in steps]),
    ]
    if compact:
        if steps:
            print_fitted(console, title, columns)
    elif steps:
        columns += [
            Column("Verdict", [step.evidence.verdict.value for step in steps]),
            Column(
                "Last used",
                [
                    "never"
                    if s.evidence.last_used is None
                    else s.evidence.last_used.date().isoformat()
                    for s in steps
                ],
            ),
            Column("Reason", [step_reason(step, plan) for step in steps], flexible=True),
        ]
        bold = len(columns) - 4  # the Action column
        styles = [["bold" if i == bold else None for i in range(len(columns))] for _ in steps]
        print_fitted(console, title, columns, styles)
    else:
        console.print("No steps: nothing the plan may act on.")
    if plan.excluded and not compact:
        excluded = sorted(plan.excluded, key=_by_account_and_user)
        print_fitted(
            console,
            f"Not in the plan ({len(excluded)})",
            [
                *_account_column(excluded),
                Column("User", [printable(e.user) for e in excluded]),
                Column(
                    "Credential",
                    [
                        printable(f"access key {e.access_key_id or e.slot or '?'}")
                        if e.kind == "access_key"
                        else "console password"
                        for e in excluded
                    ],
                    wrap=True,
                    give=2,
                ),
                Column("Verdict", [e.verdict.value for e in excluded]),
                Column("Why not", [printable(e.reason) for e in excluded], flexible=True),
            ],
        )
    actions = Counter(step.action.value for step in plan.steps)
    counts = ", ".join(f"{n} {action}" for action, n in sorted(actions.items())) or "no steps"
    console.print(Text(f"{counts}; {len(plan.excluded)} not in the plan", style="bold"))


def render_results(results: list[StepResult], out: TextIO) -> None:
    """Write each step's outcome and a summary line to ``out``."""
    console = _console(out)
    steps = [result.step for result in results]
    columns = [
        *_account_column(steps),
        Column("User", [printable(step.user) for step in steps]),
        Column("Credential", [_target(step) for step in steps], wrap=True, give=2),
        Column("Action", [step.action.value for step in steps]),
        Column("Outcome", [result.outcome.value for result in results]),
        Column("Detail", [printable(result.detail) for result in results], flexible=True),
    ]
    at = len(columns) - 2
    styles = [
        [_OUTCOME_STYLE[result.outcome] if i == at else None for i in range(len(columns))]
        for result in results
    ]
    print_fitted(console, "Apply", columns, styles)
    counts = Counter(result.outcome for result in results)
    console.print(
        Text(
            " · ".join(f"{counts[o]} {o.value}" for o in Outcome if counts[o]) or "no steps",
            style="bold",
        )
    )


def _record_credential(record: dict[str, Any]) -> str:
    key = record.get("access_key_id")
    return f"access key {printable(str(key))}" if key else "console password"


def render_undo(results: list[UndoResult], out: TextIO) -> None:
    """Write each undo outcome (never a password) and a summary line to ``out``."""
    console = _console(out)
    records = [result.record for result in results]
    columns = [
        Column("User", [printable(str(r.get("user"))) for r in records]),
        Column("Credential", [_record_credential(r) for r in records], wrap=True, give=2),
        Column("Action undone", [printable(str(r.get("action"))) for r in records]),
        Column("Outcome", [result.outcome.value for result in results]),
        Column("Detail", [printable(result.detail) for result in results], flexible=True),
    ]
    print_fitted(console, "Undo", columns)
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
    records = sorted(records, key=lambda r: (str(r.get("account_id")), str(r.get("user"))))
    columns = [
        Column("User", [printable(str(r.get("user"))) for r in records]),
        Column("Credential", [_record_credential(r) for r in records], wrap=True, give=2),
        Column("Action applied", [printable(str(r.get("action"))) for r in records]),
        Column("Undo will", [_undo_effect(r, recreate) for r in records], flexible=True),
    ]
    if len({r.get("account_id") for r in records}) > 1:
        accounts = [printable(str(r.get("account_id") or "?")) for r in records]
        columns.insert(0, Column("Account", accounts))
    print_fitted(console, f"Applied steps ({len(records)})", columns)


def undo_question(records: list[dict[str, Any]], *, recreate: bool) -> str:
    """What ``undo`` asks: how many steps it will reverse, and how many it cannot."""
    can = sum(1 for record in records if _reversible(record, recreate))
    cannot = len(records) - can
    question = f"Undo {plural(can, 'step')}?"
    if cannot:
        question += f" ({plural(cannot, 'other step')} cannot be undone and will only be listed.)"
    return question
