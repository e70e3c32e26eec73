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

    @property
    def undoable(self) -> bool:
        """True when ``stalecreds undo`` can reverse the action."""
        return self is Action.DEACTIVATE_ACCESS_KEY

    @property
    def iam_actions(self) -> tuple[str, ...]:
        """The IAM actions applying this remedy calls, live re-check included."""
        return _IAM_ACTIONS[self]


_KEY_CHECK = ("iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:ListUserTags")
_PASSWORD_CHECK = ("iam:GetLoginProfile", "iam:GetUser", "iam:ListUserTags")
_IAM_ACTIONS = {
    Action.DEACTIVATE_ACCESS_KEY: (*_KEY_CHECK, "iam:UpdateAccessKey"),
    Action.DELETE_ACCESS_KEY: (*_KEY_CHECK, "iam:DeleteAccessKey"),
    Action.DELETE_LOGIN_PROFILE: (*_PASSWORD_CHECK, "iam:DeleteLoginProfile"),
    Action.RESET_LOGIN_PROFILE: (*_PASSWORD_CHECK, "iam:UpdateLoginProfile"),
}
