"""Judge each credential of a user and decide which are findings. Pure: no I/O, no clock.

A *finding* is a credential that still works (a password that exists, an ``Active`` access key)
whose verdict is ``unused``, ``never_used`` or ``uncertain``; and, separately, any ``Active``
access key of the root user, whatever its verdict (CIS AWS Foundations: no root access keys).
Inactive keys are never findings; those no longer used are *clean-up candidates*.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from stalecreds.model import (
    AccessKey,
    Credential,
    CredentialKind,
    Password,
    SigningCertificate,
    Status,
    UserCredentials,
)
from stalecreds.verdicts import (
    FINDING_VERDICTS,
    UNTRACKED_CERTIFICATE,
    Verdict,
    VerdictRules,
)


class FindingRule(enum.StrEnum):
    """Why a credential is a finding. The values appear in the ``finding_rules`` field."""

    UNUSED_CREDENTIAL = "unused-credential"
    """A working credential judged ``unused``, ``never_used`` or ``uncertain``."""
    ROOT_ACCESS_KEY = "root-access-key"
    """An ``Active`` access key of the root user."""


_CLEANUP_VERDICTS = frozenset({Verdict.UNUSED, Verdict.NEVER_USED})


@dataclass(frozen=True, slots=True)
class Assessment:
    """One credential of one principal, with its verdict, reason and finding rules."""

    owner: UserCredentials
    credential: Credential
    verdict: Verdict
    reason: str
    finding_rules: tuple[FindingRule, ...]

    @property
    def kind(self) -> CredentialKind:
        """``password``, ``access_key`` or ``signing_certificate``."""
        credential = self.credential
        if isinstance(credential, Password):
            return CredentialKind.PASSWORD
        if isinstance(credential, AccessKey):
            return CredentialKind.ACCESS_KEY
        return CredentialKind.SIGNING_CERTIFICATE

    @property
    def finding(self) -> bool:
        """True when any finding rule applies."""
        return bool(self.finding_rules)

    @property
    def status(self) -> Status | None:
        """``Active``/``Inactive`` for keys and certificates; ``None`` for passwords."""
        credential = self.credential
        return None if isinstance(credential, Password) else credential.status

    @property
    def cleanup_candidate(self) -> bool:
        """An access key that is no longer usable and no longer used: safe to delete later."""
        credential = self.credential
        return (
            isinstance(credential, AccessKey)
            and credential.status is not Status.ACTIVE
            and self.verdict in _CLEANUP_VERDICTS
        )

    @property
    def created(self) -> datetime | None:
        """When the credential was created or last set: password ``password_last_changed``
        (else the user's creation time), key ``last_rotated``, certificate ``last_rotated``."""
        credential = self.credential
        if isinstance(credential, Password):
            return credential.set_at or self.owner.created
        return credential.created

    @property
    def last_used(self) -> datetime | None:
        """The last recorded use, or ``None`` (always ``None`` for certificates)."""
        credential = self.credential
        if isinstance(credential, Password):
            return credential.last_used
        if isinstance(credential, AccessKey) and credential.last_use is not None:
            return credential.last_use.at
        return None


def assess(user: UserCredentials, rules: VerdictRules) -> list[Assessment]:
    """Judge every credential of ``user`` at ``rules.as_of``: password first, then keys by slot,
    then signing certificates. Each key is judged on its own, never in combination."""
    results: list[Assessment] = []
    password = user.password
    if password is not None:
        judgement = rules.password(password.last_used, password.set_at or user.created)
        rule = (FindingRule.UNUSED_CREDENTIAL,) if judgement.verdict in FINDING_VERDICTS else ()
        results.append(Assessment(user, password, judgement.verdict, judgement.reason, rule))
    for key in user.access_keys:
        last_use = key.last_use
        judgement = rules.access_key(None if last_use is None else last_use.at, key.created)
        active = key.status is Status.ACTIVE
        key_rules: tuple[FindingRule, ...] = ()
        if active and judgement.verdict in FINDING_VERDICTS:
            key_rules = (FindingRule.UNUSED_CREDENTIAL,)
        if active and user.is_root:
            key_rules = (*key_rules, FindingRule.ROOT_ACCESS_KEY)
        results.append(Assessment(user, key, judgement.verdict, judgement.reason, key_rules))
    for cert in user.certificates:
        results.append(_certificate(user, cert))
    return results


def _certificate(user: UserCredentials, cert: SigningCertificate) -> Assessment:
    return Assessment(user, cert, UNTRACKED_CERTIFICATE.verdict, UNTRACKED_CERTIFICATE.reason, ())
