"""List the ACTIVE accounts of an AWS Organization, optionally under given OUs (recursively).

Calls ``organizations:ListAccounts``, or ``ListAccountsForParent`` and
``ListOrganizationalUnitsForParent`` for ``--ou``; every listing is paginated by boto3.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stalecreds.accounts.selection import Account
from stalecreds.aws.session import aws_errors


def _active(entries: Iterable[dict[str, Any]]) -> list[Account]:
    return [
        Account(str(entry["Id"]), entry.get("Name"))
        for entry in entries
        if entry.get("Status", "ACTIVE") == "ACTIVE"
    ]


def list_accounts(organizations: Any, ous: Iterable[str] = ()) -> list[Account]:
    """The organisation's ACTIVE accounts (all, or those under ``ous`` at any depth), by ID.

    ``organizations`` is a boto3 Organizations client of the management (or a delegated
    administrator) account. Raises :class:`~stalecreds.errors.AwsError`.
    """
    ou_list = list(ous)
    found: dict[str, Account] = {}
    if not ou_list:
        with aws_errors("organizations:ListAccounts"):
            for page in organizations.get_paginator("list_accounts").paginate():
                found.update((a.account_id, a) for a in _active(page["Accounts"]))
        return sorted(found.values())
    pending = list(ou_list)
    seen: set[str] = set()
    while pending:
        parent = pending.pop()
        if parent in seen:
            continue
        seen.add(parent)
        with aws_errors("organizations:ListAccountsForParent"):
            for page in organizations.get_paginator("list_accounts_for_parent").paginate(
                ParentId=parent
            ):
                found.update((a.account_id, a) for a in _active(page["Accounts"]))
        with aws_errors("organizations:ListOrganizationalUnitsForParent"):
            for page in organizations.get_paginator(
                "list_organizational_units_for_parent"
            ).paginate(ParentId=parent):
                pending.extend(str(unit["Id"]) for unit in page["OrganizationalUnits"])
    return sorted(found.values())
