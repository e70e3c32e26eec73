"""Tables people review before and after acting on credentials.

A plan's steps and exclusions, and the outcomes of apply and undo. Rendered with rich to any
text stream; colour only on a terminal.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from stalecreds.formats.base import printable
from stalecreds.formats.console import text_console
from stalecreds.remediate.apply import Outcome, StepResult
from stalecreds.remediate.plan import Plan, Step
from stalecreds.remediate.undo import UndoOutcome, UndoResult

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
        return f"access key {step.access_key_id}"
    if step.credential_id is not None:
        kind = "MFA device" if step.kind.value == "mfa_device" else "signing certificate"
        return f"{kind} {step.credential_id}"
    return "root password" if step.action.root else "console password"


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
        for step in plan.steps:
            table.add_row(printable(step.user), _target(step), step.action.value)
        if plan.steps:
            console.print(table)
    elif plan.steps:
        table = Table(title=f"Steps ({len(plan.steps)})", title_justify="left")
        for column in ("User", "Credential", "Action", "Verdict", "Last used", "Reason"):
            table.add_column(column, overflow="fold")
        for step in plan.steps:
            last = step.evidence.last_used
            table.add_row(
                printable(step.user),
                _target(step),
                Text(step.action.value, style="bold"),
                step.evidence.verdict.value,
                "never" if last is None else last.date().isoformat(),
                step.evidence.reason,
            )
        console.print(table)
    else:
        console.print("No steps: nothing the plan may act on.")
    if plan.excluded and not compact:
        table = Table(title=f"Not in the plan ({len(plan.excluded)})", title_justify="left")
        for column in ("User", "Credential", "Verdict", "Why not"):
            table.add_column(column, overflow="fold")
        for exclusion in plan.excluded:
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
