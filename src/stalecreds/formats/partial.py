"""What a scan of several accounts or report files left out, in words, for the report formats.

A scan is *partial* when an account or a report file could not be scanned at all (its
:class:`~stalecreds.accounts.parallel.AccountFailure`), or when live IAM lookups failed inside a
scanned account (those credentials are ``unknown``). Markdown and HTML say so at the top, with
each input and why, as the JSON ``accounts``/``warnings`` and the CLI's standard error do.
Reports left out because a newer report of the same account was read (``skipped``) are listed
too, but do not make the result partial. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from stalecreds.wording import plural


class LeftOut(NamedTuple):
    """One input that is not in the result: who it is and why, as plain text (not escaped)."""

    who: str
    """``report file PATH`` or ``account 123456789012 (name)``."""
    why: str
    """The failure (step, call, error code, message), or which newer report replaced it."""


class Omissions(NamedTuple):
    """Everything a scan left out. ``failed`` and ``lookup_errors`` make the result partial."""

    failed: tuple[LeftOut, ...]
    lookup_errors: tuple[str, ...]
    skipped: tuple[LeftOut, ...]

    @property
    def partial(self) -> bool:
        """True when some accounts, files or lookups are missing from the result."""
        return bool(self.failed or self.lookup_errors)

    def headline(self) -> str | None:
        """One sentence saying the result is partial and why, or ``None`` when it is complete.

        ``2 report files could not be scanned and 1 IAM lookup failed: the result is partial.``
        """
        parts = []
        if self.failed:
            files = all(item.who.startswith("report file ") for item in self.failed)
            unit = "report file" if files else "account"
            parts.append(f"{plural(len(self.failed), unit)} could not be scanned")
        if self.lookup_errors:
            errors = plural(len(self.lookup_errors), "IAM lookup")
            parts.append(f"{errors} failed (those credentials are 'unknown')")
        if not parts:
            return None
        return " and ".join(parts) + ": the result is partial."


def omissions(scan: Any) -> Omissions:
    """The :class:`Omissions` of ``scan`` (any scan output; a single report file has none).

    Reads ``outcomes`` (a :class:`~stalecreds.accounts.parallel.MultiAccountResult`) and
    ``errors`` (failed lookups, ``ScanResult.errors``) when the scan has them.
    """
    failed: list[LeftOut] = []
    skipped: list[LeftOut] = []
    files = scan.source.format == "folder"
    for outcome in getattr(scan, "outcomes", ()):
        account = outcome.account
        if files or not account.account_id:
            of = f" (account {account.account_id})" if account.account_id else ""
            who = f"report file {account.name}{of}"
        else:
            name = f" ({account.name})" if account.name else ""
            who = f"account {account.account_id}{name}"
        failure = outcome.failure
        if failure is not None:
            if not files and account.account_id:
                call = f"{failure.action} {failure.code}"
                why = f"failed at {failure.step}: {call}: {failure.message}"
            else:  # a report file's message names the file, line and column
                why = f"failed at {failure.step}: {failure.message}"
            failed.append(LeftOut(who, why))
        newer = getattr(outcome, "superseded_by", None)
        if newer is not None:
            skipped.append(LeftOut(who, f"skipped: {newer}"))
    errors: tuple[str, ...] = tuple(getattr(scan, "errors", ()))
    return Omissions(tuple(failed), errors, tuple(skipped))
