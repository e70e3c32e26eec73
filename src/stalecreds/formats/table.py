"""The table people read: findings first, grouped by user, then clean-up candidates, then the rest.

Dates are shown as ``YYYY-MM-DD`` with the age in days; the last line sums the scan up. Colour is
used only when writing to a terminal.
"""

from __future__ import annotations

from itertools import groupby
from typing import TextIO

from rich.table import Table
from rich.text import Text

from stalecreds.formats.base import ScanOutput, printable
from stalecreds.formats.console import text_console
from stalecreds.model import AccessKey, CredentialKind, MfaDevice, SigningCertificate
from stalecreds.rules.assessment import Assessment, FindingRule
from stalecreds.rules.verdicts import Verdict
from stalecreds.wording import plural

_VERDICT_STYLE = {
    Verdict.UNUSED: "bold red",
    Verdict.NEVER_USED: "bold red",
    Verdict.UNCERTAIN: "yellow",
    Verdict.UNKNOWN: "yellow",
    Verdict.IN_USE: "green",
    Verdict.NEW: "cyan",
    Verdict.UNTRACKED: "dim",
}
_KIND_ORDER = {
    CredentialKind.PASSWORD: 0,
    CredentialKind.ACCESS_KEY: 1,
    CredentialKind.SIGNING_CERTIFICATE: 2,
    CredentialKind.MFA_DEVICE: 3,
}


def _credential_label(assessment: Assessment) -> str:
    credential = assessment.credential
    if isinstance(credential, AccessKey):
        name = credential.access_key_id or f"access key {credential.slot}"
        return f"{name} ({credential.status.value})"
    if isinstance(credential, SigningCertificate):
        name = credential.certificate_id or str(credential.slot)
        return f"signing certificate {name} ({credential.status.value})"
    if isinstance(credential, MfaDevice):
        return f"MFA device {credential.serial_number}"
    return "root password" if assessment.owner.is_root else "password"


def _when(assessment: Assessment, moment_name: str, scan: ScanOutput) -> str:
    moment = getattr(assessment, moment_name)
    if moment is None:
        return "never" if moment_name == "last_used" else "-"
    days = (scan.as_of - moment).days
    return f"{moment.date().isoformat()} ({days:,} d)"


def _sort_key(assessment: Assessment) -> tuple[str, str, str, int, int]:
    owner = assessment.owner
    credential = assessment.credential
    slot = getattr(credential, "slot", None) or 0
    return (owner.account_id, owner.user.lower(), owner.arn, _KIND_ORDER[assessment.kind], slot)


def _table(title: str, rows: list[Assessment], scan: ScanOutput, *, reasons: bool) -> Table:
    many_accounts = len({a.owner.account_id for a in rows}) > 1
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
    if many_accounts:
        table.add_column("Account", no_wrap=True)
    table.add_column("User", overflow="fold")
    table.add_column("Credential", no_wrap=True)
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Last used", no_wrap=True)
    table.add_column("Created", no_wrap=True)
    if reasons:
        table.add_column("Reason", ratio=1, min_width=30)
    groups = groupby(sorted(rows, key=_sort_key), key=lambda a: (a.owner.account_id, a.owner.arn))
    for _, group in groups:
        members = list(group)
        for position, assessment in enumerate(members):
            owner = assessment.owner
            cells: list[str | Text] = []
            if many_accounts:
                cells.append(printable(owner.account_id) if position == 0 else "")
            cells += [
                printable(owner.user) if position == 0 else "",
                _credential_label(assessment),
                Text(
                    assessment.verdict.value
                    + (" (exempt)" if assessment.owner.exemption is not None else ""),
                    style=_VERDICT_STYLE[assessment.verdict],
                ),
                _when(assessment, "last_used", scan),
                _when(assessment, "created", scan),
            ]
            if reasons:
                reason = assessment.reason
                if FindingRule.ROOT_ACCESS_KEY in assessment.finding_rules:
                    reason += " The root user should have no access keys."
                cells.append(reason)
            table.add_row(*cells, end_section=position == len(members) - 1)
    return table


def _accounts_table(rows: list[dict[str, object]]) -> Table:
    table = Table(title=f"Accounts ({len(rows)})", title_justify="left", title_style="bold")
    for column in ("Account", "Name", "Status", "Users", "Credentials", "Findings", "Error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        error = row["error"]
        detail = ""
        if isinstance(error, dict):
            detail = f"{error['step']}: {error['action']} {error['code']}: {error['message']}"
        status = str(row["status"])
        table.add_row(
            str(row["account_id"] or "?"),
            str(row["name"] or ""),
            Text(status, style="bold red" if status == "failed" else ""),
            *(
                "" if row[k] is None else f"{row[k]:,}"
                for k in ("users", "credentials", "findings")
            ),
            detail,
        )
    return table


def render_table(scan: ScanOutput, out: TextIO) -> None:
    """Write ``scan`` as rich tables and a summary line to ``out``."""
    assessments = list(scan)
    console = text_console(out)
    source = scan.source
    console.print(Text(source.title, style="bold"))
    facts = []
    if source.generated_time is not None:
        facts.append(f"generated {source.generated_time:%Y-%m-%d %H:%M} UTC")
    facts.append(f"judged as of {scan.as_of:%Y-%m-%d %H:%M} UTC")
    thresholds = scan.thresholds
    facts.append(
        f"unused after {thresholds.password_days} days (passwords), "
        f"{thresholds.access_key_days} days (access keys)"
    )
    console.print(Text(" · ".join(facts), style="dim"))
    console.print()
    findings = [a for a in assessments if a.finding_rules]
    cleanup = [a for a in assessments if a.cleanup_candidate]
    rest = [a for a in assessments if not a.finding_rules and not a.cleanup_candidate]
    if findings:
        console.print(_table(f"Findings ({len(findings)})", findings, scan, reasons=True))
    else:
        console.print(Text("No findings: every working credential was used within its window."))
    if cleanup:
        console.print()
        title = f"Inactive access keys no longer used: clean-up candidates ({len(cleanup)})"
        console.print(_table(title, cleanup, scan, reasons=False))
    if rest:
        console.print()
        console.print(_table(f"Other credentials ({len(rest)})", rest, scan, reasons=False))
    account_rows = getattr(scan, "account_rows", None)
    if account_rows is not None:
        console.print()
        console.print(_accounts_table(account_rows()))
    console.print()
    summary = scan.summary
    counts = " · ".join(
        f"{count} {verdict.value.replace('_', ' ')}"
        for verdict in Verdict
        if (count := summary.by_verdict[verdict])
    )
    line = (
        f"{plural(summary.users, 'user')} · {plural(summary.credentials, 'credential')} · "
        f"{plural(summary.findings, 'finding')} · "
        f"{plural(summary.cleanup_candidates, 'clean-up candidate')}"
    )
    console.print(Text(line, style="bold"))
    if counts:
        console.print(Text(f"Verdicts: {counts}", style="dim"))
