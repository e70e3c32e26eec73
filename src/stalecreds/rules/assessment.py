"""Judge each credential of a user and decide which are findings. Pure: no I/O, no clock.

A *finding* is a credential of an IAM user that still works (a password that exists, an
``Active`` access key) whose verdict is ``unused``, ``never_used`` or ``uncertain``; and,
separately, any ``Active`` access key of the root user, whatever its verdict (CIS AWS
Foundations 1.4: no root access keys). The root user's password is never an
``unused-credential`` finding (its verdict is still shown): an unused root password is the state
CIS asks for ("avoid the use of the root user"), and CIS 1.12 and AWS Config's
``iam-user-unused-credentials-check`` cover IAM users only. In ``aws-us-gov`` the root user has
no console password at all (:func:`~stalecreds.rules.facts.root_has_console_password`).

A member account's root user read through centralized root access (``root_access``) has every
credential (password, access keys, signing certificates, MFA devices) a
``root-credentials-present`` finding: with root credentials management enabled, AWS recommends
member accounts have no root credentials at all (IAM User Guide, "Centrally manage root access
for member accounts").

Inactive keys are never ``unused-credential`` findings; those no longer used are *clean-up
candidates*.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import NamedTuple

from stalecreds.model import (
    Credential,
    CredentialKind,
    MfaDevice,
    Password,
    Status,
    UserCredentials,
)
from stalecreds.rules.facts import root_has_console_password
from stalecreds.rules.verdicts import (
    ACCOUNT_CREATED,
    FINDING_VERDICTS,
    PASSWORD_SET,
    UNTRACKED_CERTIFICATE,
    UNTRACKED_MFA_DEVICE,
    USER_CREATED,
    Verdict,
    VerdictRules,
    unknown,
)


class FindingRule(enum.StrEnum):
    """Why a credential is a finding. The values appear in the ``finding_rules`` field."""

    UNUSED_CREDENTIAL = "unused-credential"
    """A working credential judged ``unused``, ``never_used`` or ``uncertain``."""
    ROOT_ACCESS_KEY = "root-access-key"
    """An ``Active`` access key of the root user."""
    ROOT_CREDENTIALS_PRESENT = "root-credentials-present"
    """Any credential of a member account's root user, read through centralized root access."""


_CLEANUP_VERDICTS = frozenset({Verdict.UNUSED, Verdict.NEVER_USED})


class Assessment(NamedTuple):
    """One credential of one principal, with its verdict, reason and finding rules.

    ``created`` is when the credential was created or last set (password
    ``password_last_changed``, else the user's ``user_creation_time``; key or certificate
    ``last_rotated``); ``last_used`` is the last recorded use (always ``None`` for certificates).
    ``cleanup_candidate`` marks an access key that is no longer usable (``Inactive``) and no
    longer used (``unused`` or ``never_used``): safe to delete once nobody misses it.
    """

    owner: UserCredentials
    credential: Credential
    kind: CredentialKind
    verdict: Verdict
    reason: str
    finding_rules: tuple[FindingRule, ...]
    created: datetime | None
    last_used: datetime | None
    cleanup_candidate: bool

    @property
    def exemption(self) -> str | None:
        """Why the owner is exempt from findings (tag or config rule), or ``None``."""
        return self.owner.exemption

    @property
    def finding(self) -> bool:
        """True when any finding rule applies."""
        return bool(self.finding_rules)

    @property
    def status(self) -> Status | None:
        """``Active``/``Inactive`` for keys and certificates; ``None`` for the others."""
        credential = self.credential
        return None if isinstance(credential, Password | MfaDevice) else credential.status


_UNUSED_CREDENTIAL = (FindingRule.UNUSED_CREDENTIAL,)
_ROOT_ACCESS_KEY = (FindingRule.ROOT_ACCESS_KEY,)
_ROOT_PRESENT = (FindingRule.ROOT_CREDENTIALS_PRESENT,)
_NO_RULES: tuple[FindingRule, ...] = ()
# Attribute access on an Enum class is slow in Python 3.11; assess uses these names.
_PASSWORD = CredentialKind.PASSWORD
_ACCESS_KEY = CredentialKind.ACCESS_KEY
_SIGNING_CERTIFICATE = CredentialKind.SIGNING_CERTIFICATE
_MFA_DEVICE = CredentialKind.MFA_DEVICE
_ACTIVE = Status.ACTIVE


def assess(user: UserCredentials, rules: VerdictRules) -> list[Assessment]:
    """Judge every credential of ``user`` at ``rules.as_of``, one :class:`Assessment` each.

    Order: the password, then access keys by slot, then signing certificates, then MFA devices.
    Each key is judged on its own, never in combination with the other. A credential whose live
    lookup failed (``lookup_error``) is ``unknown``; an exempt user's credentials are never
    findings. A root password is never an ``unused-credential`` finding; a root user in a
    partition without root console sign-in (``aws-us-gov``) has no password listed.
    """
    results: list[Assessment] = []
    exempt = user.exemption is not None
    is_root = user.is_root
    # Every credential of a member root read through centralized root access is a finding.
    present = _ROOT_PRESENT if user.root_access and not exempt else _NO_RULES
    password = user.password
    if password is not None and is_root and not root_has_console_password(user.partition):
        password = None
    if password is not None:
        set_at = password.set_at or user.created
        last_used = password.last_used
        if password.lookup_error is not None:
            verdict, reason = unknown(password.lookup_error)
        else:
            dated = (
                PASSWORD_SET
                if password.set_at is not None
                else ACCOUNT_CREATED
                if user.is_root
                else USER_CREATED
            )
            verdict, reason = rules.password(last_used, set_at, dated)
        if is_root:
            finding = present
        elif verdict in FINDING_VERDICTS and not exempt:
            finding = _UNUSED_CREDENTIAL
        else:
            finding = _NO_RULES
        results.append(
            Assessment(
                user, password, _PASSWORD, verdict, reason, finding, set_at, last_used, False
            )
        )
    for key in user.access_keys:
        last_use = key.last_use
        used_at = None if last_use is None else last_use.at
        if key.lookup_error is not None:
            verdict, reason = unknown(key.lookup_error)
        else:
            verdict, reason = rules.access_key(used_at, key.created)
        active = key.status is _ACTIVE
        finding = _NO_RULES
        if active and not exempt:
            if verdict in FINDING_VERDICTS:
                finding = _UNUSED_CREDENTIAL
            if is_root:
                finding += _ROOT_ACCESS_KEY
        finding += present
        cleanup = not active and verdict in _CLEANUP_VERDICTS
        results.append(
            Assessment(
                user, key, _ACCESS_KEY, verdict, reason, finding, key.created, used_at, cleanup
            )
        )
    for cert in user.certificates:
        verdict, reason = UNTRACKED_CERTIFICATE
        results.append(
            Assessment(
                user,
                cert,
                _SIGNING_CERTIFICATE,
                verdict,
                reason,
                present,
                cert.created,
                None,
                False,
            )
        )
    for device in user.mfa_devices:
        verdict, reason = UNTRACKED_MFA_DEVICE
        results.append(
            Assessment(
                user, device, _MFA_DEVICE, verdict, reason, present, device.enabled, None, False
            )
        )
    return results
