"""Which users are exempt from findings, and why. Matching is pure; loading reads a TOML file.

A user is exempt when it carries the IAM tag ``stalecreds:exempt`` (the tag's value is the
reason), or when a rule in the config file matches its user name, ARN or path. Exempt
credentials are still listed, with their verdicts, marked exempt; they are never findings.

Config file (``--config``)::

    [[exempt]]
    user = "break-glass"               # glob on the user name
    reason = "Emergency access; reviewed every quarter"

    [[exempt]]
    path = "/service/legacy/*"        # glob on the IAM path
    reason = "Owned by the legacy team until 2027"

    [[exempt]]
    arn = "arn:aws:iam::111122223333:user/*"
    reason = "Sandbox account"

The root user is not an IAM user and has no path: only an ``arn`` rule whose pattern ends in
``:root`` can exempt it, so a broad ``user = "*"`` or ``path = "/"`` never hides its findings
(an active root access key above all). Unknown tables or keys are errors, so a typo such as
``[[exemptions]]`` cannot silently exempt nothing.
"""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import NamedTuple

from stalecreds.errors import InputError
from stalecreds.files import MIB, read_text_bounded
from stalecreds.model import UserCredentials, iam_path

DEFAULT_TAG_KEY = "stalecreds:exempt"
"""The IAM user tag whose presence exempts a user; its value is the reason."""

CONFIG_MAX_BYTES = 1 * MIB
"""The largest config file read (a rule takes about 100 bytes). A bigger one is refused."""

TAG_KEY_MAX_LENGTH = 128
"""IAM's longest tag key (``Tag.Key``: 1 to 128 characters; IAM API reference, Tag)."""
_TAG_KEY = re.compile(r"[\w\s.:/=+\-@]+")
"""The characters IAM allows in a tag key: letters, digits, white space and ``_.:/=+-@``."""


def check_tag_key(key: str) -> str:
    """``key`` when it can be an IAM tag key (``--exempt-tag``); raises ``ValueError`` if not.

    An empty key would match no tag, so exemptions by tag would silently do nothing, and a plan
    made with it is one that apply refuses.
    """
    if not key:
        raise ValueError("the exemption tag key must not be empty")
    if len(key) > TAG_KEY_MAX_LENGTH or not _TAG_KEY.fullmatch(key):
        raise ValueError(
            f"{key!r} cannot be an IAM tag key (1 to {TAG_KEY_MAX_LENGTH} letters, digits, "
            "spaces and _.:/=+-@)"
        )
    return key


_FIELDS = ("user", "arn", "path")


class ExemptionRule(NamedTuple):
    """One ``[[exempt]]`` entry: ``field`` (``user``, ``arn`` or ``path``), a glob and a reason."""

    field: str
    pattern: str
    reason: str


def user_path(arn: str, user: str) -> str:
    """The IAM path of ``user`` from its ARN (``…:user/service/ci`` gives ``/service/``).

    ``/`` when the ARN is not a user's or does not end with ``user``'s name.
    """
    path = iam_path(arn)
    return path if path is not None and arn.endswith(f":user{path}{user}") else "/"


class Exemptions:
    """The exemption rules of one run: config rules and the tag key."""

    def __init__(
        self, rules: tuple[ExemptionRule, ...] = (), tag_key: str = DEFAULT_TAG_KEY
    ) -> None:
        self.rules = rules
        self.tag_key = tag_key

    def by_config(self, user: UserCredentials) -> str | None:
        """The reason of the first config rule matching ``user``, or ``None``."""
        for rule in self.rules:
            if user.is_root and not (rule.field == "arn" and rule.pattern.endswith(":root")):
                continue
            if rule.field == "user":
                value = user.user
            elif rule.field == "arn":
                value = user.arn
            else:
                value = user_path(user.arn, user.user)
            if fnmatchcase(value, rule.pattern):
                return f"{rule.reason} (config: {rule.field} = {rule.pattern!r})"
        return None

    def by_tags(self, tags: dict[str, str]) -> str | None:
        """The reason given by the exemption tag among ``tags``, or ``None``."""
        if self.tag_key not in tags:
            return None
        value = tags[self.tag_key].strip()
        return f"{value or 'exempt'} (tag {self.tag_key})"


def load_exemptions(path: Path, tag_key: str = DEFAULT_TAG_KEY) -> Exemptions:
    """Read the ``[[exempt]]`` rules of a TOML config file.

    Raises :class:`InputError` naming the file (and line and column for TOML syntax errors)
    when the file cannot be read, is larger than :data:`CONFIG_MAX_BYTES`, or a rule lacks a
    field or reason.
    """
    name = str(path)
    try:
        data = tomllib.loads(read_text_bounded(path, CONFIG_MAX_BYTES, "a config file"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(name, f"not valid TOML: {error}") from None
    unknown = sorted(set(data) - {"exempt"})
    if unknown:
        raise InputError(name, f"unknown setting {unknown[0]!r}; exemptions are [[exempt]] tables")
    entries = data.get("exempt", [])
    if not isinstance(entries, list):
        raise InputError(name, "'exempt' must be an array of tables: [[exempt]]")
    rules: list[ExemptionRule] = []
    for number, entry in enumerate(entries, start=1):
        where = f"[[exempt]] entry {number}"
        if not isinstance(entry, dict):
            raise InputError(name, f"{where} is not a table")
        extra = sorted(set(entry) - {*_FIELDS, "reason"})
        if extra:
            raise InputError(
                name, f"{where}: unknown key {extra[0]!r} (use user, arn or path, and reason)"
            )
        fields = [field for field in _FIELDS if field in entry]
        if len(fields) != 1:
            raise InputError(name, f"{where} needs exactly one of user, arn or path")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(name, f"{where} needs a reason")
        pattern = entry[fields[0]]
        if not isinstance(pattern, str):
            raise InputError(name, f"{where}: {fields[0]} must be a string")
        if fields[0] == "path" and not pattern.startswith(("/", "*", "?", "[")):
            raise InputError(
                name, f"{where}: path {pattern!r} can never match: IAM paths start with /"
            )
        if fields[0] == "user" and pattern == "<root_account>":
            raise InputError(
                name,
                f"{where}: the root user is exempted only by an arn rule ending in ':root'",
            )
        rules.append(ExemptionRule(fields[0], pattern, reason.strip()))
    return Exemptions(tuple(rules), tag_key)
