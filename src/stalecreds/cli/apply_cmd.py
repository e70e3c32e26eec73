"""``stalecreds apply`` and ``stalecreds undo``: the library prepares, the CLI asks, then acts."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from stalecreds.cli.common import (
    EXIT_AWS_ERROR,
    EXIT_OK,
    confirm,
    fail,
    handle_errors,
    note,
    warn_torn,
)
from stalecreds.cli.progress import JournalNotice


@click.command()
@click.argument("plan_path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--dry-run", is_flag=True, help="Re-check every step and show what would happen.")
@click.option(
    "--max-plan-age",
    type=click.FloatRange(min=0, min_open=True),
    default=24.0,
    show_default=True,
    metavar="HOURS",
    help="Refuse a plan made longer ago than this (more than 0).",
)
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Journal file. Default: one per plan under the user data folder.",
)
@click.option("--profile", help="AWS profile. Default: boto3's credential chain.")
@click.option("--region", help="AWS region for signing. Default: boto3's.")
@click.option(
    "--role-name",
    default="OrganizationAccountAccessRole",
    show_default=True,
    help="Role assumed in each account of the plan other than the caller's.",
)
@click.option("--external-id", help="ExternalId for AssumeRole, when the role requires one.")
def apply(
    plan_path: Path,
    yes: bool,
    dry_run: bool,
    max_plan_age: float,
    journal_path: Path | None,
    profile: str | None,
    region: str | None,
    role_name: str,
    external_id: str | None,
) -> None:
    """Apply a plan: re-check each step live, act, and journal every call.

    A step whose live state no longer matches the plan is skipped with the reason. Steps for
    another account than the caller's run through --role-name. A journal of another plan, or a
    file that is not a journal, is refused. Exit 0 when every step was applied or skipped as
    planned, 3 when any failed.
    """
    from stalecreds.formats.plan_view import apply_question, render_plan, render_results
    from stalecreds.workflows.apply import ApplyRequest, apply_plan, prepare_apply

    request = ApplyRequest(
        plan_path,
        dry_run=dry_run,
        max_plan_age=timedelta(hours=max_plan_age),
        journal=journal_path,
        profile=profile,
        region=region,
        role_name=role_name,
        external_id=external_id,
    )
    with handle_errors():
        prepared = prepare_apply(request)
        warn_torn(prepared.journal, prepared.torn_lines)
        the_plan = prepared.plan
        render_plan(the_plan, sys.stdout, compact=True)
        if not the_plan.steps:
            sys.exit(EXIT_OK)
        if not dry_run and not yes:
            confirm(apply_question(the_plan))
        applied = apply_plan(prepared, JournalNotice())
    render_results(applied.results, sys.stdout)
    if applied.journal is not None and applied.changed:
        note(f"undo with: stalecreds undo {applied.journal}")
    sys.exit(EXIT_AWS_ERROR if applied.failed else EXIT_OK)


@click.command()
@click.argument("journal_path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Undo without asking for confirmation.")
@click.option(
    "--recreate-login-profile",
    is_flag=True,
    help="Give users whose console password was deleted a new one; the one-time passwords "
    "are printed to this terminal only.",
)
@click.option("--profile", help="AWS profile. Default: boto3's credential chain.")
@click.option("--region", help="AWS region for signing. Default: boto3's.")
def undo(
    journal_path: Path,
    yes: bool,
    recreate_login_profile: bool,
    profile: str | None,
    region: str | None,
) -> None:
    """Undo an apply: reactivate the access keys it deactivated.

    Deleted keys and deleted or reset passwords cannot be restored; each is listed with what
    can be done instead. Exit 0 when nothing failed, 3 otherwise.
    """
    from stalecreds.formats.plan_view import render_undo, render_undo_preview, undo_question
    from stalecreds.workflows.undo import UndoRequest, prepare_undo, undo_apply

    if recreate_login_profile and not sys.stdout.isatty():
        fail("--recreate-login-profile prints one-time passwords and needs a terminal")
    with handle_errors():
        prepared = prepare_undo(
            UndoRequest(journal_path, recreate_login_profile, profile=profile, region=region)
        )
        warn_torn(journal_path, prepared.torn_lines)
        if not prepared.pending:
            click.echo("stalecreds: nothing in this journal was applied, or all of it is undone")
            sys.exit(EXIT_OK)
        if not yes:
            pending = prepared.pending
            render_undo_preview(pending, sys.stdout, recreate=recreate_login_profile)
            confirm(undo_question(pending, recreate=recreate_login_profile))
        report = undo_apply(prepared)
    render_undo(report.results, sys.stdout)
    for result in report.results:
        if result.one_time_password is not None:
            click.echo(
                f"One-time console password for {result.record.get('user')}: "
                f"{result.one_time_password}  (must be changed at first sign-in)"
            )
    sys.exit(EXIT_AWS_ERROR if report.failed else EXIT_OK)
