"""Generate realistic IAM credential reports of any size, deterministically (seeded).

Each account is a block of ``ROWS_PER_ACCOUNT`` rows: its root row, then IAM users (IAM's quota
is 5,000 users per account), so 1,000,000 rows are 200 accounts' reports concatenated, with one
header line at the top. The mix follows ``shared/spec/credential-report.md``:

* about half the users have a console password; of those some never signed in
  (``no_information``), a few have a password policy rotation date, many have MFA;
* access keys in both slots, active or inactive (inactive keys keep their ``last_rotated`` date),
  some never used (``N/A``), some last used on S3 (region ``N/A``); key last-used times have
  ``:00`` seconds;
* a few signing certificates; a few users with a stale ``password_last_used`` but no password;
* root rows with ``not_supported`` (or ``false``, for new member accounts), sometimes a key.

Timestamps are ``YYYY-MM-DDTHH:MM:SS+00:00`` and fall between 2012 and the benchmark's as-of
time (2026-11-01), so the scan has no "date after as-of" warnings.

Usage: ``python bench/gen_report.py ROWS OUTPUT.csv [--seed N]``.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
"""The 22-column header of a real credential report."""

ROWS_PER_ACCOUNT = 5_000
"""Rows per account block: the root row and 4,999 users."""

DEFAULT_SEED = 20261101

_EPOCH_START = int(datetime(2012, 1, 1, tzinfo=UTC).timestamp())
_EPOCH_END = int(datetime(2026, 10, 31, tzinfo=UTC).timestamp())

_FIRST = (  # noqa: SIM905  # a word list reads best as words
    "alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert "
    "sybil trent uma victor walter xena yusuf zoe andrew anthony christopher jeff ryan steven"
).split()
_LAST = (  # noqa: SIM905  # a word list reads best as words
    "smith jones garcia miller davis lopez wilson anderson thomas moore martin lee perez white "
    "harris clark lewis walker young allen king wright scott green baker adams nelson hill"
).split()
_SERVICE_NAMES = ("ci", "deploy", "backup", "terraform", "monitoring", "etl", "github-actions")
_PATHS = ("", "", "", "", "engineering/", "ops/", "service/")
_REGIONS = ("us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
_SERVICES = ("sts", "ec2", "iam", "ecr", "lambda", "dynamodb", "cloudformation", "logs")


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


class _Rows:
    """The state of one generation run: a seeded random source."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def moment(self, after: int, before: int = _EPOCH_END) -> int:
        """A time in ``[after, before]``, skewed towards recent dates."""
        if after >= before:
            return before
        span = before - after
        return after + int(span * (1 - self.random.random() ** 2))

    def key(self, active_share: float, created_after: int) -> list[str]:
        """The five cells of one access key slot (an absent key when ``created_after`` < 0)."""
        rnd = self.random
        if created_after < 0:
            return ["false", "N/A", "N/A", "N/A", "N/A"]
        created = self.moment(created_after)
        active = "true" if rnd.random() < active_share else "false"
        if rnd.random() < 0.15:
            return [active, _stamp(created), "N/A", "N/A", "N/A"]
        used = self.moment(created) // 60 * 60
        if rnd.random() < 0.12:
            return [active, _stamp(created), _stamp(used), "N/A", "s3"]
        return [active, _stamp(created), _stamp(used), rnd.choice(_REGIONS), rnd.choice(_SERVICES)]

    def root(self, account: str) -> list[str]:
        """The root row of ``account``."""
        rnd = self.random
        created = self.moment(_EPOCH_START - 5 * 365 * 86400, _EPOCH_START + 3 * 365 * 86400)
        enabled = "not_supported" if rnd.random() < 0.9 else "false"
        used = "no_information" if rnd.random() < 0.2 else _stamp(self.moment(created))
        key = self.key(0.5, created) if rnd.random() < 0.1 else self.key(0, -1)
        return [
            "<root_account>",
            f"arn:aws:iam::{account}:root",
            _stamp(created),
            enabled,
            used,
            "not_supported",
            "not_supported",
            "true" if rnd.random() < 0.8 else "false",
            *key,
            *self.key(0, -1),
            "false",
            "N/A",
            "false",
            "N/A",
        ]

    def user(self, account: str, number: int) -> list[str]:
        """The row of IAM user ``number`` in ``account``."""
        rnd = self.random
        if rnd.random() < 0.2:
            name = f"{rnd.choice(_SERVICE_NAMES)}-{number}"
        else:
            name = f"{rnd.choice(_FIRST)}.{rnd.choice(_LAST)}{number}"
        created = self.moment(_EPOCH_START)
        if rnd.random() < 0.5:
            password_enabled = "true"
            changed = self.moment(created)
            never = rnd.random() < 0.15
            last_used = "no_information" if never else _stamp(self.moment(changed))
            changed_text = _stamp(changed)
            next_rotation = _stamp(changed + 90 * 86400) if rnd.random() < 0.2 else "N/A"
            mfa = "true" if rnd.random() < 0.6 else "false"
        else:
            password_enabled = "false"
            stale = rnd.random() < 0.03  # a deleted password can keep its last sign-in
            last_used = _stamp(self.moment(created)) if stale else "N/A"
            changed_text = next_rotation = "N/A"
            mfa = "false"
        key_1 = self.key(0.8, created) if rnd.random() < 0.6 else self.key(0, -1)
        key_2 = self.key(0.5, created) if rnd.random() < 0.15 else self.key(0, -1)
        if rnd.random() < 0.01:
            cert = ["true" if rnd.random() < 0.7 else "false", _stamp(self.moment(created))]
        else:
            cert = ["false", "N/A"]
        return [
            name,
            f"arn:aws:iam::{account}:user/{rnd.choice(_PATHS)}{name}",
            _stamp(created),
            password_enabled,
            last_used,
            changed_text,
            next_rotation,
            mfa,
            *key_1,
            *key_2,
            *cert,
            "false",
            "N/A",
        ]


def generate(rows: int, seed: int = DEFAULT_SEED) -> Iterator[str]:
    """The lines (with ``\\n``) of a report of ``rows`` data rows, header first."""
    state = _Rows(seed)
    yield HEADER + "\n"
    produced = 0
    while produced < rows:
        account = str(state.random.randrange(10**11, 10**12))
        block = min(ROWS_PER_ACCOUNT, rows - produced)
        yield ",".join(state.root(account)) + "\n"
        for number in range(1, block):
            yield ",".join(state.user(account, number)) + "\n"
        produced += block


def write_report(path: Path, rows: int, seed: int = DEFAULT_SEED) -> None:
    """Write a report of ``rows`` data rows to ``path`` (via a temporary file beside it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as out:
        out.writelines(generate(rows, seed))
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("rows", type=int, help="number of data rows (the header is extra)")
    parser.add_argument("output", type=Path, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    write_report(args.output, args.rows, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
