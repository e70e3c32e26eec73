"""Plan steps for a member account's root credentials (centralized root access). Pure.

Only a root user read through ``sts:AssumeRoot`` (``UserCredentials.root_access``: ``scan --org
--root-access``) and only with ``plan --include-root`` gets steps: one per credential that
exists, whatever its verdict (AWS recommends member accounts have no root credentials):

=====================  ====================================  ===========================
credential             action                                IAM call (root session)
=====================  ====================================  ===========================
password               ``delete-root-login-profile``         ``DeleteLoginProfile``
access key             ``delete-root-access-key``            ``DeleteAccessKey``
signing certificate    ``delete-root-signing-certificate``   ``DeleteSigningCertificate``
MFA device             ``deactivate-root-mfa-device``        ``DeactivateMFADevice``
=====================  ====================================  ===========================

Every one is irreversible for stalecreds: ``undo`` cannot bring it back.
"""

from __future__ import annotations

from datetime import datetime

from stalecreds.model import (
    AccessKey,
    CredentialKind,
    MfaDevice,
    Password,
    SigningCertificate,
    Status,
)
from stalecreds.remediate.actions import Action
from stalecreds.remediate.plan import Plan, Step, _evidence, step_id_of
from stalecreds.rules.assessment import Assessment, FindingRule
from stalecreds.rules.facts import ROOT_USER_NAME

ROOT_ACTIONS_BY_KIND = {
    CredentialKind.PASSWORD: Action.DELETE_ROOT_LOGIN_PROFILE,
    CredentialKind.ACCESS_KEY: Action.DELETE_ROOT_ACCESS_KEY,
    CredentialKind.SIGNING_CERTIFICATE: Action.DELETE_ROOT_SIGNING_CERTIFICATE,
    CredentialKind.MFA_DEVICE: Action.DEACTIVATE_ROOT_MFA_DEVICE,
}
"""The one root action for each kind of root credential."""


def root_exclusion_reason(assessment: Assessment, include_root: bool) -> str | None:
    """Why a member root's credential is not planned, or ``None`` when it is."""
    if assessment.exemption is not None:
        return f"exempt: {assessment.exemption}"
    if FindingRule.ROOT_CREDENTIALS_PRESENT not in assessment.finding_rules:
        return "not a root-credentials-present finding"
    if not include_root:
        return (
            "a member account's root credential: plan with --root-access --include-root to "
            "delete it through centralized root access (not undoable)"
        )
    return None


def root_step(
    assessment: Assessment, key_cutoff: datetime, password_cutoff: datetime
) -> Step | str:
    """The step that removes one member root credential, or why there is none (no ID)."""
    owner = assessment.owner
    credential = assessment.credential
    action = ROOT_ACTIONS_BY_KIND[assessment.kind]
    key_id: str | None = None
    credential_id: str | None = None
    slot: int | None = None
    status: Status | None = None
    cutoff = key_cutoff
    if isinstance(credential, Password):
        cutoff = password_cutoff
    elif isinstance(credential, AccessKey):
        key_id, status = credential.access_key_id, credential.status
        if key_id is None:
            return "access key ID unknown: scan with --root-access"
    elif isinstance(credential, SigningCertificate):
        credential_id, slot, status = credential.certificate_id, credential.slot, credential.status
        if credential_id is None:
            return "certificate ID unknown: scan with --root-access"
    elif isinstance(credential, MfaDevice):
        credential_id, slot = credential.serial_number, credential.slot
    return Step(
        step_id_of(owner.account_id, owner.user, key_id or credential_id, action),
        owner.account_id,
        owner.user,
        owner.arn,
        assessment.kind,
        slot,
        key_id,
        action,
        status,
        cutoff,
        _evidence(assessment),
        credential_id,
    )


def root_step_problem(step: Step, plan: Plan) -> str | None:
    """Why a step on a root user may not be applied (it was edited, or not asked for), or None.

    A root step must have a root action that fits its kind, be in a plan made with
    ``include_root``, name the root of its own account (not the plan maker's), carry the ID of
    what it removes, and have the step ID those give.
    """
    if not step.action.root:
        return "acts on the root user, which is never done"
    if not plan.policy.include_root:
        return "acts on the root user, which only a plan made with --include-root does"
    if step.user != ROOT_USER_NAME or step.action is not ROOT_ACTIONS_BY_KIND.get(step.kind):
        return (
            f"{step.action.value} does not fit a {step.kind.value} of {step.user}; was it edited?"
        )
    partition = step.arn.split(":")[1] if step.arn.count(":") >= 5 else ""
    if step.arn != f"arn:{partition}:iam::{step.account_id}:root":
        return f"arn {step.arn} is not the root user of account {step.account_id}; was it edited?"
    if plan.caller is not None and step.account_id == plan.caller.account_id:
        return "acts on the root user of the plan maker's own account, which is never done"
    needs_key = step.kind is CredentialKind.ACCESS_KEY
    needs_id = step.kind in (CredentialKind.SIGNING_CERTIFICATE, CredentialKind.MFA_DEVICE)
    if (step.access_key_id is not None) != needs_key or (
        step.credential_id is not None
    ) != needs_id:
        return "its IDs do not fit its kind; was it edited?"
    which = step.access_key_id or step.credential_id
    if step.step_id != step_id_of(step.account_id, step.user, which, step.action):
        return "does not match its account, user, credential and action; was it edited?"
    return None
