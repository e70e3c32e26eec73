"""Combine JSON scan results (``--shard`` runs, or any scans) into one document. Pure.

Documents must share ``schema_version`` and ``max_age_days``; credentials and accounts are
concatenated (a credential or account present twice is kept once, with a warning), the summary
is counted again from the credentials, and ``as_of`` becomes the earliest of the inputs (with
``as_of_range`` giving both ends).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stalecreds import __version__
from stalecreds.errors import InputError
from stalecreds.files import MIB, read_file_bounded
from stalecreds.formats.base import SCHEMA_VERSION
from stalecreds.model import CredentialKind, Status
from stalecreds.rules.assessment import FindingRule
from stalecreds.rules.verdicts import MAX_AGE_LIMIT_DAYS, Verdict
from stalecreds.timestamps import parse_time

MERGE_INPUT_MAX_BYTES = 1024 * MIB
"""The largest JSON result merged: about 1,400,000 credentials. A bigger one is refused."""


def load_result(path: Path) -> Any:
    """The parsed JSON of the scan result at ``path`` (at most :data:`MERGE_INPUT_MAX_BYTES`).

    Raises :class:`InputError` naming the file (and line and column of a JSON syntax error).
    """
    name = str(path)
    data = read_file_bounded(path, MERGE_INPUT_MAX_BYTES, "a stalecreds JSON result")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InputError(name, f"not UTF-8 text (byte offset {error.start})") from None
    except json.JSONDecodeError as error:
        raise InputError(
            name, f"not valid JSON: {error.msg}", line=error.lineno, column=error.colno
        ) from None
    except RecursionError:
        raise InputError(name, "not a stalecreds JSON result: nested too deeply") from None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _natural(value: object) -> bool:
    return _is_int(value) and int(str(value)) >= 0


def _one_of(values: Sequence[object]) -> Callable[[object], bool]:
    allowed = [str(v) if isinstance(v, str) else v for v in values]  # StrEnum members: values
    return lambda value: type(value) in (str, int) and value in allowed


def _time_or_none(value: object) -> bool:
    if value is None:
        return True
    try:
        parse_time(value)
    except ValueError:
        return False
    return True


def _optional(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: value is None or check(value)


def _text(value: object) -> bool:
    return isinstance(value, str)


def _flag(value: object) -> bool:
    return isinstance(value, bool)


_RULES = tuple(rule.value for rule in FindingRule)
_CREDENTIAL_FIELDS: dict[str, tuple[bool, str, Callable[[object], bool]]] = {
    # field: (required, what it must be, check)
    "account_id": (True, "a string", _text),
    "arn": (True, "a string", _text),
    "user": (True, "a string", _text),
    "kind": (True, f"one of {[k.value for k in CredentialKind]}", _one_of(list(CredentialKind))),
    "verdict": (True, f"one of {[v.value for v in Verdict]}", _one_of(list(Verdict))),
    "finding": (True, "true or false", _flag),
    "account_name": (False, "a string or null", _optional(_text)),
    "is_root": (False, "true or false", _flag),
    "slot": (False, "1, 2 or null", _optional(_one_of([1, 2]))),
    "access_key_id": (False, "a string or null", _optional(_text)),
    "status": (
        False,
        f"one of {[s.value for s in Status]} or null",
        _optional(_one_of(list(Status))),
    ),
    "created": (False, "an ISO 8601 time with a UTC offset, or null", _time_or_none),
    "last_used": (False, "an ISO 8601 time with a UTC offset, or null", _time_or_none),
    "last_used_region": (False, "a string or null", _optional(_text)),
    "last_used_service": (False, "a string or null", _optional(_text)),
    "days_since_created": (False, "a whole number or null", _optional(_is_int)),
    "days_since_last_used": (False, "a whole number or null", _optional(_is_int)),
    "mfa_active": (False, "true, false or null", _optional(_flag)),
    "reason": (False, "a string", _text),
    "finding_rules": (
        False,
        f"a list of {list(_RULES)}",
        lambda value: isinstance(value, list) and all(rule in _RULES for rule in value),
    ),
    "cleanup_candidate": (False, "true or false", _flag),
    "exempt": (False, "true or false", _flag),
    "exemption_reason": (False, "a string or null", _optional(_text)),
    "report_line": (False, "a whole number or null", _optional(_natural)),
}
"""The JSON contract of one credential record (``formats/json.py``): what merge accepts."""


def check_document(name: str, document: Any) -> None:
    """Refuse a document that breaks the JSON contract, naming the file and the record.

    Checked: ``schema_version``, ``as_of`` (a time with a UTC offset), ``max_age_days``, every
    credential (its required fields, the type of every field, known ``kind``, ``verdict``,
    ``status`` and ``finding_rules``, dates), ``summary`` counts, ``warnings``,
    ``warnings_omitted`` and ``accounts``. Raises :class:`InputError`.
    """
    if not isinstance(document, dict) or not isinstance(document.get("credentials"), list):
        raise InputError(name, "not a stalecreds JSON result (no 'credentials' list)")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            name,
            f"schema_version {document.get('schema_version')!r}; this stalecreds merges "
            f"version {SCHEMA_VERSION}",
        )
    try:
        parse_time(document.get("as_of"))
    except ValueError as error:
        raise InputError(name, f"'as_of' {error}") from None
    ages = document.get("max_age_days")
    if not (
        isinstance(ages, dict)
        and set(ages) == {"password", "access_key"}
        and all(_is_int(days) and 1 <= days <= MAX_AGE_LIMIT_DAYS for days in ages.values())
    ):
        raise InputError(
            name,
            '\'max_age_days\' must be {"password": DAYS, "access_key": DAYS}, each 1 to '
            f"{MAX_AGE_LIMIT_DAYS}; got {ages!r}",
        )
    for index, credential in enumerate(document["credentials"]):
        where = f"credentials[{index}]"
        if not isinstance(credential, dict):
            raise InputError(name, f"{where}: not a JSON object")
        for field, (required, what, check) in _CREDENTIAL_FIELDS.items():
            if field not in credential:
                if required:
                    raise InputError(name, f"{where}: missing {field!r}")
                continue
            if not check(credential[field]):
                raise InputError(
                    name, f"{where}: {field!r} must be {what}, got {credential[field]!r}"
                )
    summary = document.get("summary")
    if summary is not None and not (
        isinstance(summary, dict)
        and all(
            _natural(summary.get(count, 0))
            for count in ("users", "credentials", "findings", "cleanup_candidates")
        )
    ):
        raise InputError(name, "'summary' must hold counts (whole numbers, 0 or more)")
    warnings = document.get("warnings", [])
    if not isinstance(warnings, list) or not all(
        isinstance(w, dict) and _optional(_natural)(w.get("line")) and _text(w.get("message"))
        for w in warnings
    ):
        raise InputError(name, '\'warnings\' must be a list of {"line", "message"} objects')
    if not _natural(document.get("warnings_omitted", 0)):
        raise InputError(name, "'warnings_omitted' must be a whole number, 0 or more")
    accounts = document.get("accounts", [])
    if not isinstance(accounts, list) or not all(
        isinstance(a, dict) and _optional(_text)(a.get("account_id")) for a in accounts
    ):
        raise InputError(name, "'accounts' must be a list of objects with an 'account_id'")


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
    """Merge ``(name, parsed JSON)`` pairs, in order.

    Each document is first checked against the JSON contract (:func:`check_document`). Raises
    :class:`InputError` naming the file (and the record).
    """
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
        check_document(name, document)
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

    Each file is read by :func:`load_result` (at most :data:`MERGE_INPUT_MAX_BYTES`). Raises
    :class:`InputError` naming the file (and the line and column of invalid JSON).
    """
    return [(str(path), load_result(path)) for path in paths]
