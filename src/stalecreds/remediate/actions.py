"""The remedies stalecreds can apply, weakest first, with what each does in IAM and can undo."""

from __future__ import annotations

import enum


class Action(enum.StrEnum):
    """One remedy for one credential. The value appears in plans and journals."""

    DEACTIVATE_ACCESS_KEY = "deactivate-access-key"
    """``UpdateAccessKey`` to ``Inactive``: the key stops working; undo reactivates it."""
    RESET_LOGIN_PROFILE = "reset-login-profile"
    """``UpdateLoginProfile`` with a long random password nobody sees and
    ``PasswordResetRequired``: console access needs an administrator again. Not undoable."""
    DELETE_LOGIN_PROFILE = "delete-login-profile"
    """``DeleteLoginProfile``: removes console access. Not undoable (a new password can be set)."""
    DELETE_ACCESS_KEY = "delete-access-key"
    """``DeleteAccessKey``: the key is gone for good. Not undoable."""
    DELETE_ROOT_LOGIN_PROFILE = "delete-root-login-profile"
    """A member account's root password, through ``sts:AssumeRoot`` with
    ``IAMDeleteRootUserCredentials``: ``DeleteLoginProfile`` with no ``UserName``. Not undoable:
    only root password recovery (by e-mail, once allowed again) brings it back."""
    DELETE_ROOT_ACCESS_KEY = "delete-root-access-key"
    """A member account's root access key (``DeleteAccessKey`` in a root session). Not undoable."""
    DELETE_ROOT_SIGNING_CERTIFICATE = "delete-root-signing-certificate"
    """A member account's root signing certificate (``DeleteSigningCertificate`` in a root
    session). Not undoable."""
    DEACTIVATE_ROOT_MFA_DEVICE = "deactivate-root-mfa-device"
    """A member account's root MFA device (``DeactivateMFADevice`` in a root session). Not
    undoable by stalecreds (the device must be enabled again by the root user)."""

    @property
    def undoable(self) -> bool:
        """True when ``stalecreds undo`` can reverse the action."""
        return self is Action.DEACTIVATE_ACCESS_KEY

    @property
    def root(self) -> bool:
        """True for the actions on a member account's root user (through ``AssumeRoot``)."""
        return self in ROOT_ACTIONS

    @property
    def iam_actions(self) -> tuple[str, ...]:
        """The IAM actions applying this remedy calls, live re-check included.

        As the caller (or the role in the member account) needs them: none for a root action,
        whose calls the task policy allows (:attr:`root_session_actions`).
        """
        return () if self.root else _IAM_ACTIONS[self]

    @property
    def root_session_actions(self) -> tuple[str, ...]:
        """The root-scoped IAM calls of a root action, in an ``AssumeRoot`` session.

        The task policies allow them (reads with ``IAMAuditRootUserCredentials``, the change
        with ``IAMDeleteRootUserCredentials``); none for other actions.
        """
        return _IAM_ACTIONS[self] if self.root else ()


ROOT_ACTIONS = frozenset(
    {
        Action.DELETE_ROOT_LOGIN_PROFILE,
        Action.DELETE_ROOT_ACCESS_KEY,
        Action.DELETE_ROOT_SIGNING_CERTIFICATE,
        Action.DEACTIVATE_ROOT_MFA_DEVICE,
    }
)
"""The root actions: planned only with ``--root-access --include-root``, never undoable."""

_KEY_CHECK = ("iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:ListUserTags")
_PASSWORD_CHECK = ("iam:GetLoginProfile", "iam:GetUser", "iam:ListUserTags")
_IAM_ACTIONS = {
    Action.DEACTIVATE_ACCESS_KEY: (*_KEY_CHECK, "iam:UpdateAccessKey"),
    Action.DELETE_ACCESS_KEY: (*_KEY_CHECK, "iam:DeleteAccessKey"),
    Action.DELETE_LOGIN_PROFILE: (*_PASSWORD_CHECK, "iam:DeleteLoginProfile"),
    Action.RESET_LOGIN_PROFILE: (*_PASSWORD_CHECK, "iam:UpdateLoginProfile"),
    # In the member account, as its root user (the task policy IAMDeleteRootUserCredentials);
    # the caller needs sts:AssumeRoot (policies/stalecreds-root-remediate.json).
    Action.DELETE_ROOT_LOGIN_PROFILE: (
        "iam:GetLoginProfile",
        "iam:GetUser",
        "iam:DeleteLoginProfile",
    ),
    Action.DELETE_ROOT_ACCESS_KEY: (
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:DeleteAccessKey",
    ),
    Action.DELETE_ROOT_SIGNING_CERTIFICATE: (
        "iam:ListSigningCertificates",
        "iam:DeleteSigningCertificate",
    ),
    Action.DEACTIVATE_ROOT_MFA_DEVICE: ("iam:ListMFADevices", "iam:DeactivateMFADevice"),
}
