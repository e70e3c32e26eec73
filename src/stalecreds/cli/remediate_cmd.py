"""``stalecreds plan``, ``stalecreds apply`` and ``stalecreds undo``."""

from __future__ import annotations

import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from stalecreds.cli.common import (
    EXIT_AWS_ERROR,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    emit,
    fail,
    handle_errors,
    now,
    refuse_overwriting_inputs,
    refuse_overwriting_report,
    report_failures,
    run_scan,
    scan_errors,
    scan_options,
    scan_request,
    show_warnings,
)
from stalecreds.errors import InputError
from stalecreds.files import refuse_link_or_special
from stalecreds.model import Caller
from stalecreds.remediate.journal import (
    Journal,
    check_journal,
    deactivations,
    default_journal_path,
    load_journal,
    step_outcomes,
)
from stalecreds.remediate.plan import DEFAULT_QUARANTINE_DAYS, PlanPolicy, build_plan
from stalecreds.remediate.plan_file import plan_to_json, read_plan_file
from stalecreds.wording import plural


@click.command()
@scan_options
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the plan (JSON) to FILE, atomically.",
)
@click.option(
    "--key-action",
    type=click.Choice(["deactivate", "delete"]),
    default="deactivate",
    show_default=True,
    help="What to do with an unused Active access key.",
)
@click.option(
    "--password-action",
    type=click.Choice(["delete", "reset"]),
    default="delete",
    show_default=True,
    help="delete removes console access (the login profile); reset sets a long random "
    "password nobody sees, with a reset required.",
)
@click.option(
    "--history",
    "history_path",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[PATH]",
    help="Also take when keys were first seen Inactive from the scan history (see 'scan "
    "--history') for the quarantine of deletions.",
)
@click.option(
    "--quarantine-days",
    type=click.IntRange(min=0),
    default=DEFAULT_QUARANTINE_DAYS,
    show_default=True,
    metavar="DAYS",
    help="An Inactive, unused key is planned for deletion after this many days inactive.",
)
def plan(
    out_path: Path,
    key_action: str,
    password_action: str,
    quarantine_days: int,
    history_path: str | None,
    **options: Any,
) -> None:
    """Plan remedies for the findings of a scan, for review before 'stalecreds apply'.

    Never planned: the access key this run signs with, root user credentials, exempt users,
    verdicts other than unused and never_used, keys whose ID is unknown, and users the report
    lists on more than one row; each is listed with the reason.
    """
    request = scan_request(options)
    refuse_overwriting_report(request, out_path, "--out")
    if history_path is not None:
        from stalecreds.history.store import history_file

        history = history_file(history_path)
        refuse_overwriting_inputs(out_path, "--out", {"the history database": history})
    with handle_errors():
        caller = _caller(request.single_profile, request.region) if request.live else None
        with run_scan(request) as result:
            assessments = list(result)
        made = now()
        the_plan = build_plan(
            assessments,
            plan_id=f"{made:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}",
            created=made,
            as_of=result.as_of,
            thresholds=result.thresholds,
            policy=PlanPolicy(key_action, password_action, quarantine_days, request.exempt_tag),
            caller=caller,
            deactivated_at=_stopped_working(history_path),
        )
    show_warnings(result)
    failures = report_failures(result)
    text = plan_to_json(the_plan)
    emit(lambda out: out.write(text), out_path, streams=True)
    from stalecreds.formats.plan_view import render_plan

    render_plan(the_plan, sys.stdout)
    click.echo(
        f"stalecreds: wrote the plan to {out_path}; review it, then: stalecreds apply {out_path}",
        err=True,
    )
    if failures:
        click.echo(
            f"stalecreds: {plural(len(failures), 'account')} could not be scanned: nothing is "
            "planned for them",
            err=True,
        )
        sys.exit(EXIT_PARTIAL)
    sys.exit(EXIT_AWS_ERROR if scan_errors(result) else EXIT_OK)


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
    from stalecreds.aws.session import make_session
    from stalecreds.formats.plan_view import render_plan, render_results
    from stalecreds.remediate.apply import Outcome, check_plan

    refuse_overwriting_inputs(journal_path, "--journal", {"the plan": plan_path})
    with handle_errors():
        if journal_path is not None:  # before any AWS call: a link or a device is never one
            refuse_link_or_special(journal_path, "a stalecreds journal")
        the_plan = read_plan_file(plan_path)
        session = make_session(profile, region)
        caller = _caller(profile, region, session)
        check_plan(the_plan, caller, now(), timedelta(hours=max_plan_age))
        journal_file = journal_path or default_journal_path(the_plan.plan_id)
        contents = load_journal(journal_file)
        check_journal(contents.records, str(journal_file), the_plan.plan_id)
        _warn_torn(journal_file, contents.torn_lines)
        render_plan(the_plan, sys.stdout, compact=True)
        if not the_plan.steps:
            sys.exit(EXIT_OK)
        if not dry_run and not yes:
            accounts = the_plan.account_id or "several accounts"
            _confirm(f"Apply {plural(len(the_plan.steps), 'step')} to {accounts}?")
        previous = step_outcomes(contents.records)
        applier_journal = None if dry_run else Journal(journal_file)
        try:
            if applier_journal is not None:
                applier_journal.record("apply-start", plan_id=the_plan.plan_id, caller=caller.arn)
                click.echo(f"stalecreds: journal: {journal_file}", err=True)
            results = _apply_by_account(
                the_plan,
                session,
                caller,
                applier_journal,
                previous,
                dry_run,
                role_name=role_name,
                external_id=external_id,
            )
        finally:
            if applier_journal is not None:
                applier_journal.close()
    render_results(results, sys.stdout)
    failed = any(result.outcome is Outcome.FAILED for result in results)
    done = (Outcome.APPLIED, Outcome.ALREADY_DONE)
    if not dry_run and any(result.outcome in done for result in results):
        click.echo(f"stalecreds: undo with: stalecreds undo {journal_file}", err=True)
    sys.exit(EXIT_AWS_ERROR if failed else EXIT_OK)


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
    from stalecreds.aws.session import iam_client, make_session
    from stalecreds.formats.plan_view import render_undo
    from stalecreds.remediate.undo import UndoOutcome, applied_steps
    from stalecreds.remediate.undo import undo as run_undo

    if recreate_login_profile and not sys.stdout.isatty():
        fail("--recreate-login-profile prints one-time passwords and needs a terminal")
    with handle_errors():
        contents = load_journal(journal_path)
        records = contents.records
        check_journal(records, str(journal_path))
        if not any(record["event"] == "apply-start" for record in records):
            raise InputError(str(journal_path), "not a stalecreds journal (no apply-start record)")
        _warn_torn(journal_path, contents.torn_lines)
        pending = applied_steps(records)
        if not pending:
            click.echo("stalecreds: nothing in this journal was applied, or all of it is undone")
            sys.exit(EXIT_OK)
        if not yes:
            _confirm(f"Undo {plural(len(pending), 'applied step')} from {journal_path}?")
        iam = iam_client(make_session(profile, region))
        with Journal(journal_path) as journal:
            results = run_undo(records, iam, journal, recreate_login_profile=recreate_login_profile)
    render_undo(results, sys.stdout)
    for result in results:
        if result.one_time_password is not None:
            click.echo(
                f"One-time console password for {result.record.get('user')}: "
                f"{result.one_time_password}  (must be changed at first sign-in)"
            )
    failed = any(result.outcome is UndoOutcome.FAILED for result in results)
    sys.exit(EXIT_AWS_ERROR if failed else EXIT_OK)


def _apply_by_account(
    the_plan: Any,
    session: Any,
    caller: Caller,
    journal: Journal | None,
    previous: Any,
    dry_run: bool,
    *,
    role_name: str,
    external_id: str | None,
) -> list[Any]:
    """Apply the plan's steps account by account, each with a caller of that account."""
    from stalecreds.aws.assume import account_session, partition_of
    from stalecreds.aws.session import caller_identity, iam_client
    from stalecreds.errors import AwsError
    from stalecreds.remediate.apply import Applier, fail_steps

    by_account: dict[str, list[Any]] = {}
    for step in the_plan.steps:
        by_account.setdefault(step.account_id, []).append(step)
    results: list[Any] = []
    for account_id, steps in by_account.items():
        account_session_ = session
        account_caller = caller
        if account_id != caller.account_id:
            try:
                account_session_ = account_session(
                    session,
                    account_id,
                    partition=partition_of(caller.arn),
                    role_name=role_name,
                    external_id=external_id,
                )
                account_caller = caller_identity(account_session_)
            except AwsError as error:
                detail = f"account {account_id}: {error}"
                results += fail_steps(steps, detail, None if dry_run else journal)
                continue
        applier = Applier(iam_client(account_session_), account_caller, journal)
        results += applier.apply(the_plan._replace(steps=tuple(steps)), previous, dry_run=dry_run)
    return results


def _stopped_working(history_path: str | None) -> dict[str, Any]:
    """When keys stopped working, by access key ID; the later of the sources per key.

    Sources: the journals' deactivations and, with ``--history``, the first scan that saw each
    key Inactive.
    """
    known: dict[str, Any] = dict(deactivations())
    if history_path is None:
        return known
    from stalecreds.history.store import History, history_file

    with History(history_file(history_path)) as history:
        for key_id, when in history.inactive_since().items():
            known[key_id] = max(known.get(key_id, when), when)
    return known


def _warn_torn(path: Path, lines: tuple[int, ...]) -> None:
    """Say which journal lines held a record a crash cut short (they are ignored)."""
    if lines:
        where = ", ".join(str(line) for line in lines)
        click.echo(
            f"stalecreds: warning: {path}, line{'' if len(lines) == 1 else 's'} {where}: a "
            "record cut short by an interrupted run (its write did not finish); ignored, and "
            "live IAM is re-checked for the step it was about",
            err=True,
        )


def _confirm(question: str) -> None:
    if not sys.stdin.isatty():
        fail("no terminal to confirm on: pass --yes to proceed without a prompt", EXIT_USAGE)
    if not click.confirm(question, default=False):
        fail("cancelled; nothing was changed", EXIT_USAGE)


def _caller(profile: str | None, region: str | None, session: Any = None) -> Caller:
    """Who the credentials are: STS GetCallerIdentity, and the access key ID they sign with."""
    from stalecreds.aws.session import caller_identity, make_session

    return caller_identity(session or make_session(profile, region))
