"""Combine JSON scan results (``--shard`` runs, or any scans) into one document. Pure.

Documents must share ``schema_version`` and ``max_age_days``; credentials and accounts are
concatenated (a credential or account present twice is kept once, with a warning), the summary
is counted again from the credentials, and ``as_of`` becomes the earliest of the inputs (with
``as_of_range`` giving both ends).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stalecreds import __version__
from stalecreds.errors import InputError
from stalecreds.formats.base import SCHEMA_VERSION
from stalecreds.rules.verdicts import Verdict


def _key(credential: dict[str, Any]) -> tuple[object, ...]:
    return tuple(
        credential.get(name)
        for name in ("account_id", "arn", "kind", "slot", "access_key_id", "report_line")
    )


def _users(document: dict[str, Any]) -> int:
    shown = len({(c.get("account_id"), c.get("arn")) for c in document["credentials"]})
    counted = int((document.get("summary") or {}).get("users") or 0)
    return max(counted, shown)


def merge_documents(documents: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """Merge ``(name, parsed JSON)`` pairs, in order. Raises :class:`InputError` naming the file."""
    if not documents:
        raise InputError("merge", "no documents to merge")
    ages = None
    credentials: list[dict[str, Any]] = []
    seen: set[tuple[object, ...]] = set()
    accounts: dict[str, dict[str, Any]] = {}
    warnings: list[dict[str, Any]] = []
    omitted = 0
    moments: list[str] = []
    sources: list[Any] = []
    for name, document in documents:
        if not isinstance(document, dict) or not isinstance(document.get("credentials"), list):
            raise InputError(name, "not a stalecreds JSON result (no 'credentials' list)")
        if document.get("schema_version") != SCHEMA_VERSION:
            raise InputError(
                name,
                f"schema_version {document.get('schema_version')!r}; this stalecreds merges "
                f"version {SCHEMA_VERSION}",
            )
        if ages is None:
            ages = document.get("max_age_days")
        elif document.get("max_age_days") != ages:
            raise InputError(
                name,
                f"max_age_days {document.get('max_age_days')} differs from {ages}: results "
                "judged by different rules cannot be merged",
            )
        moments.append(str(document.get("as_of")))
        sources.append({"file": name, "source": document.get("source")})
        for credential in document["credentials"]:
            key = _key(credential)
            if key in seen:
                warnings.append(
                    {
                        "line": None,
                        "message": f"{name}: a credential of {credential.get('arn')} "
                        "is in more than one input; kept once",
                    }
                )
                continue
            seen.add(key)
            credentials.append(credential)
        for account in document.get("accounts") or []:
            account_id = str(account.get("account_id"))
            if account_id in accounts and account_id:
                warnings.append(
                    {
                        "line": None,
                        "message": f"{name}: account {account_id} is in more than "
                        "one input; kept once",
                    }
                )
                continue
            accounts[account_id or f"{name}#{len(accounts)}"] = account
        warnings += list(document.get("warnings") or [])
        omitted += int(document.get("warnings_omitted") or 0)
    verdicts = Counter(str(c.get("verdict")) for c in credentials)
    # Users without credentials appear only in their inputs' summaries: add those up (an input
    # without one counts the users its credentials show), unless inputs overlapped, when no
    # input's count is added twice: the largest of them, or the users of the kept credentials.
    overlapping = len(seen) < sum(len(document["credentials"]) for _, document in documents)
    users = (
        max(
            len({(c.get("account_id"), c.get("arn")) for c in credentials}),
            *(_users(document) for _, document in documents),
        )
        if overlapping
        else sum(_users(document) for _, document in documents)
    )
    if len(set(moments)) > 1:
        warnings.append(
            {
                "line": None,
                "message": f"the inputs were judged at different times ({min(moments)} to "
                f"{max(moments)}); as_of is the earliest, as_of_range gives both",
            }
        )
    summary = {
        "users": users,
        "credentials": len(credentials),
        "findings": sum(1 for c in credentials if c.get("finding")),
        "cleanup_candidates": sum(1 for c in credentials if c.get("cleanup_candidate")),
        "by_verdict": {verdict.value: verdicts[verdict.value] for verdict in Verdict},
    }
    merged: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "stalecreds", "version": __version__},
        "as_of": min(moments),
        "as_of_range": [min(moments), max(moments)],
        "max_age_days": ages,
        "source": {"type": "merged", "inputs": sources},
        "credentials": credentials,
    }
    if accounts:
        merged["accounts"] = list(accounts.values())
    merged |= {"summary": summary, "warnings": warnings, "warnings_omitted": omitted}
    return merged


def read_documents(paths: Sequence[Path]) -> list[tuple[str, Any]]:
    """Read JSON results from ``paths``: ``(path, document)`` pairs for :func:`merge_documents`.

    Raises :class:`InputError` naming the file (and the line and column of invalid JSON).
    """
    documents = []
    for path in paths:
        try:
            documents.append((str(path), json.loads(path.read_text(encoding="utf-8"))))
        except json.JSONDecodeError as error:
            raise InputError(
                str(path), f"not valid JSON: {error.msg}", line=error.lineno, column=error.colno
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(str(path), f"cannot read it: {error}") from None
    return documents
