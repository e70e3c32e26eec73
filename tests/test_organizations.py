"""Listing the accounts of an AWS Organization (moto over HTTP): all ACTIVE, or under OUs.

The organisation::

    root
    ├── management (123456789012, moto's default account; the caller)
    ├── sandbox
    ├── ou prod
    │   ├── payments
    │   ├── closed            (CloseAccount: SUSPENDED, never listed)
    │   └── ou prod-eu
    │       ├── billing-eu
    │       └── ou prod-eu-west
    │           └── ledger
    └── ou dev
        └── dev-1
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from stalecreds.accounts.selection import Account
from stalecreds.aws.organizations import list_accounts
from stalecreds.aws.session import AwsError
from tests.org_helpers import MANAGEMENT, Organization, new_session


class Tree:
    def __init__(self, session: Any) -> None:
        org = Organization(session)
        self.org = org
        self.prod = org.add_ou("prod")
        self.prod_eu = org.add_ou("prod-eu", self.prod)
        self.prod_eu_west = org.add_ou("prod-eu-west", self.prod_eu)
        self.dev = org.add_ou("dev")
        self.sandbox = org.add_account("sandbox")
        self.payments = org.add_account("payments", self.prod)
        self.closed = org.add_account("closed", self.prod)
        self.billing_eu = org.add_account("billing-eu", self.prod_eu)
        self.ledger = org.add_account("ledger", self.prod_eu_west)
        self.dev_1 = org.add_account("dev-1", self.dev)
        org.client.close_account(AccountId=self.closed)


@pytest.fixture
def session(moto_endpoint):
    return new_session()


@pytest.fixture
def tree(session) -> Tree:
    return Tree(session)


def accounts(*pairs: tuple[str, str]) -> list[Account]:
    return sorted(Account(i, n) for i, n in pairs)


def test_the_closed_account_is_suspended_in_moto(tree):
    described = tree.org.client.describe_account(AccountId=tree.closed)["Account"]
    assert described["Status"] == "SUSPENDED"


def test_every_active_account_sorted_by_id(tree):
    assert list_accounts(tree.org.client) == accounts(
        (MANAGEMENT, "master"),
        (tree.sandbox, "sandbox"),
        (tree.payments, "payments"),
        (tree.billing_eu, "billing-eu"),
        (tree.ledger, "ledger"),
        (tree.dev_1, "dev-1"),
    )


def test_an_ou_lists_its_accounts_at_any_depth_but_not_suspended_ones(tree):
    assert list_accounts(tree.org.client, [tree.prod]) == accounts(
        (tree.payments, "payments"),
        (tree.billing_eu, "billing-eu"),
        (tree.ledger, "ledger"),
    )


def test_a_nested_ou_alone(tree):
    assert list_accounts(tree.org.client, [tree.prod_eu]) == accounts(
        (tree.billing_eu, "billing-eu"), (tree.ledger, "ledger")
    )
    assert list_accounts(tree.org.client, (tree.prod_eu_west,)) == accounts((tree.ledger, "ledger"))


def test_several_ous_overlapping_list_each_account_once(tree):
    listed = list_accounts(tree.org.client, [tree.prod_eu, tree.dev, tree.prod, tree.prod_eu])
    assert listed == accounts(
        (tree.payments, "payments"),
        (tree.billing_eu, "billing-eu"),
        (tree.ledger, "ledger"),
        (tree.dev_1, "dev-1"),
    )


def test_the_root_as_an_ou_is_the_whole_organisation(tree):
    assert list_accounts(tree.org.client, [tree.org.root]) == list_accounts(tree.org.client)


def test_an_ou_with_only_a_suspended_account_lists_nothing(tree):
    empty = tree.org.add_ou("graveyard")
    gone = tree.org.add_account("gone", empty)
    tree.org.client.close_account(AccountId=gone)
    assert list_accounts(tree.org.client, [empty]) == []


def test_the_calls_made_for_ous(tree, session):
    calls: list[tuple[str, str | None]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, params.get("ParentId")))

    client = session.client("organizations")
    client.meta.events.register("provide-client-params.organizations", record)
    list_accounts(client, [tree.prod])
    assert sorted(calls) == sorted(
        [
            ("ListAccountsForParent", tree.prod),
            ("ListOrganizationalUnitsForParent", tree.prod),
            ("ListAccountsForParent", tree.prod_eu),
            ("ListOrganizationalUnitsForParent", tree.prod_eu),
            ("ListAccountsForParent", tree.prod_eu_west),
            ("ListOrganizationalUnitsForParent", tree.prod_eu_west),
        ]
    )
    calls.clear()
    list_accounts(client)
    assert calls == [("ListAccounts", None)]


# --- errors -------------------------------------------------------------------------------------


def test_without_an_organisation_moto_lists_nothing(session):
    # moto answers an empty list; AWS answers AWSOrganizationsNotInUseException (injected below).
    assert list_accounts(session.client("organizations")) == []


def test_an_unknown_ou_is_an_aws_error(tree):
    with pytest.raises(AwsError) as caught:
        list_accounts(tree.org.client, ["ou-zzzz-doesnotexist"])
    assert caught.value.action == "organizations:ListAccountsForParent"
    assert caught.value.code  # moto's code for an unknown parent


class _Body:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def _json_error(code: str, message: str) -> AWSResponse:
    body = json.dumps({"__type": code, "Message": message}).encode()
    return AWSResponse(
        "https://organizations.us-east-1.amazonaws.com/",
        400,
        {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "fault-injection"},
        _Body(body),
    )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        # A member account that is not a delegated administrator (moto lets any account list).
        ("AccessDeniedException", "You don't have permissions to access this resource."),
        # The caller's account is in no organisation (moto lists nothing instead).
        (
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        ),
    ],
)
def test_listing_errors_are_aws_errors(session, code, message):
    client = session.client("organizations")
    client.meta.events.register(
        "before-send.organizations.ListAccounts", lambda **_: _json_error(code, message)
    )
    with pytest.raises(AwsError) as caught:
        list_accounts(client)
    assert str(caught.value) == f"organizations:ListAccounts failed: {code}: {message}"
