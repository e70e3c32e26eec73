"""Dated facts about AWS IAM that the verdict rules depend on, each with its source.

The sources are listed in ``shared/spec/credential-report.md``: S1 is the IAM User Guide,
"Getting credential reports"; S2 its "Finding unused credentials"; S3 the botocore IAM service
model (``User.PasswordLastUsed``, ``AccessKeyLastUsed``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PASSWORD_TRACKING_START = datetime(2014, 10, 20, tzinfo=UTC)
"""IAM began recording password last-used times on 2014-10-20 (S1, S2, S3).

A password with no recorded use that was set before this date may have been used before it.
"""

ACCESS_KEY_TRACKING_START = datetime(2015, 4, 22, tzinfo=UTC)
"""IAM began recording access-key last-used times on 2015-04-22 (S1, S2, S3)."""

PASSWORD_GAP_START = datetime(2018, 5, 4, 5, 50, tzinfo=UTC)
"""Start of the 2018 gap, 2018-05-03 22:50 PDT: password use was not recorded from here (S1, S2)."""

PASSWORD_GAP_END = datetime(2018, 5, 23, 21, 8, tzinfo=UTC)
"""End of the 2018 gap, 2018-05-23 14:08 PDT: password use is recorded again from here (S1, S2).

Access-key last-used data is accurate for all dates (S1).
"""

REPORT_MAX_STALENESS = timedelta(hours=4)
"""IAM serves a cached credential report for up to four hours after generating it (S1)."""

ROOT_USER_NAME = "<root_account>"
"""The ``user`` column value of the root user's row in a credential report (S1)."""

ROOT_NO_CONSOLE_PARTITIONS = frozenset({"aws-us-gov"})
"""Partitions whose root user cannot sign in to the console: in AWS GovCloud (US) the root row's
``password_enabled`` is ``not_supported`` and there is no root console password (AWS GovCloud
(US) User Guide; ScoutSuite issue 1132; ``shared/spec/beyond-passwords-and-keys.md``)."""


def root_has_console_password(partition: str) -> bool:
    """Whether a root row's ``password_enabled`` = ``not_supported`` means a console password.

    True in the commercial and China partitions (S1: "always not_supported" for root, which has
    a password); false in :data:`ROOT_NO_CONSOLE_PARTITIONS`.
    """
    return partition not in ROOT_NO_CONSOLE_PARTITIONS
