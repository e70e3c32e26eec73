"""Benchmark the multi-account scan (``stalecreds scan --accounts-file``) on a local moto server.

An organisation of ``--accounts`` member accounts (default 100) of ``--users`` users each
(default 100), seeded directly in moto's in-process IAM backends with the realistic mix of
``bench_live.py`` (a different, deterministic mix per account), is scanned as a user would, in a
subprocess, once per ``--workers`` value (default 1, 4, 16)::

    python -m stalecreds scan --accounts-file F --max-workers N --as-of … --format json -o OUT

Every member account is reached through STS ``AssumeRole`` of ``OrganizationAccountAccessRole``
(moto assumes a role in any account). With ``--org`` the accounts come from
``organizations:ListAccounts`` instead (moto's organisation, the management account excluded
with ``--exclude-account``).

For each run it reports wall time, accounts per second, the speed-up over one worker, and the
requests counted AT THE SERVER (a WSGI middleware around moto's app) per account and by action:
each request is attributed to the account it reads (the account of the role for ``AssumeRole``,
the account whose assumed credentials signed it otherwise, the caller's for the rest). Every
credential of every account is checked against the seeded truth (``bench_live.check``).

Before each run every account's credential report is dropped, so each run starts cold:
``GenerateCredentialReport`` answers ``STARTED`` first and the scan waits 0.25 s once per
account, as against a report IAM must build (``--warm`` keeps the reports: a cached report, whose
credentials not in use are re-read through the API).

moto runs in this process: its request handling (one Python process, the GIL) competes with the
scanning subprocess for the machine's cores, so the speed-up measured here is a floor, not what
AWS (whose IAM answers in parallel) would give.

``--latency-ms`` delays every request at the server (outside moto, without holding the GIL) to
stand for the network round trip to AWS, which the workers overlap; moto itself answers in a
few milliseconds of CPU.

``--compare-src DIR`` also runs every ``--workers`` value with the package in ``DIR`` (a copy of
``src/`` from before a change), labelled ``before``, alternating which goes first: before/after
ratios of wall time and of scanner CPU per account (``cpu/acct``: the scanning process's CPU
divided by the accounts, start-up included) come from one run.

Run: ``.venv/bin/python bench/bench_org.py [--accounts 100 --users 100 --workers 1,4,16]
[--compare-src DIR]``.
Exit status 1 when any verdict is wrong or any account fails.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bench_live import (
    ABBREVIATIONS,
    ACCOUNT_ID,
    DEFAULT_AS_OF,
    MAX_AGE_DAYS,
    SeedUser,
    check,
    plan_account,
    scan_env,
    seed_backend,
    startup_seconds,
    timed_scan,
)

CALLER = ACCOUNT_ID
"""The account of the bench's throw-away credentials (moto's default): the management account."""
ROLE = "OrganizationAccountAccessRole"
ABBREVIATIONS = {
    **ABBREVIATIONS,
    "AssumeRole": "AR",
    "GetCallerIdentity": "GCI",
    "ListAccounts": "LA",
}


# --------------------------------------------------------------------------------------------
# Server-side request counting, per account


class AccountCounter:
    """WSGI middleware: counts every request by the account it concerns and by ``Action``."""

    _CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")
    _KEY_ID = re.compile(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>")

    def __init__(self, app: Any, latency: float = 0.0) -> None:
        self.app = app
        self.latency = latency
        self.lock = threading.Lock()
        self.key_account: dict[str, str] = {}  # assumed-role access key ID -> account
        self.requests: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.errors: Counter[str] = Counter()
        self.busy = 0.0

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.errors.clear()
            self.busy = 0.0

    def snapshot(self) -> tuple[dict[str, Counter[str]], Counter[str], float]:
        with self.lock:
            return (
                {account: Counter(c) for account, c in self.requests.items()},
                Counter(self.errors),
                self.busy,
            )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = parse_qs(environ.get("QUERY_STRING", ""))
        if body and b"Action=" in body:
            params.update(parse_qs(body.decode("utf-8", "replace")))
        target = environ.get("HTTP_X_AMZ_TARGET", "")  # JSON protocols (organizations)
        action = params.get("Action", [target.rsplit(".", 1)[-1] or "(no Action)"])[0]
        signed_by = self._CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        key = signed_by.group(1) if signed_by else ""
        if action == "AssumeRole":
            account = params.get("RoleArn", ["arn:aws:iam::?:role/x"])[0].split(":")[4]
        else:
            with self.lock:
                account = self.key_account.get(key, CALLER)

        def counting_start_response(status: str, headers: Any, *args: Any) -> Any:
            if not status.startswith("2"):
                with self.lock:
                    self.errors[f"{action} {status.split()[0]}"] += 1
            return start_response(status, headers, *args)

        if self.latency:
            time.sleep(self.latency)  # a round trip to AWS, without holding the GIL
        started = time.perf_counter()
        try:
            chunks = list(self.app(environ, counting_start_response))
        finally:
            elapsed = time.perf_counter() - started
        with self.lock:
            self.busy += elapsed
            self.requests[account][action] += 1
            if action == "AssumeRole":
                found = self._KEY_ID.search(b"".join(chunks))
                if found:
                    self.key_account[found.group(1).decode()] = account
        return chunks


def start_server(latency: float = 0.0) -> tuple[Any, AccountCounter, str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    wsgi_server = server._server  # as bench_live.py: no public hook for a middleware
    assert wsgi_server is not None
    counter = AccountCounter(wsgi_server.app, latency)
    wsgi_server.app = counter
    host, port = server.get_host_and_port()
    return server, counter, f"http://{host}:{port}"


# --------------------------------------------------------------------------------------------
# The organisation


def member_ids(count: int) -> list[str]:
    """Fixed member account IDs (``--accounts-file`` mode)."""
    return [f"{210000000000 + 7919 * index:012d}" for index in range(1, count + 1)]


def create_organisation(endpoint: str, count: int) -> list[str]:
    """An organisation with ``count`` member accounts (``--org`` mode), over HTTP."""
    import boto3

    env = scan_env(endpoint)
    client = boto3.client(
        "organizations",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_organization(FeatureSet="ALL")
    ids = []
    for index in range(count):
        status = client.create_account(
            Email=f"member-{index}@example.com", AccountName=f"member-{index:03d}"
        )
        ids.append(str(status["CreateAccountStatus"]["AccountId"]))
    return ids


def seed_account(account_id: str, users: list[SeedUser]) -> None:
    """``bench_live.seed_backend`` for any account: users, passwords, keys, tags and dates."""
    seed_backend(users, account_id)


def set_reports(accounts: list[str], *, warm: bool) -> None:
    """Drop (cold) or make (warm) every account's credential report in moto."""
    from moto.iam.models import iam_backends

    for account_id in accounts:
        iam_backends[account_id]["global"].credential_report = True if warm else None


# --------------------------------------------------------------------------------------------
# Running a scan


@dataclass
class Run:
    workers: int
    accounts: int
    credentials: int
    findings: int
    failed: int
    requests: dict[str, Counter[str]]
    errors: Counter[str]
    wall_s: float
    server_s: float
    moto_cpu_s: float
    scan_cpu_s: float
    exit_code: int
    problems: list[str]
    variant: str = "stalecreds"

    @property
    def cpu_per_account(self) -> float:
        return self.scan_cpu_s / max(1, self.accounts)

    @property
    def member_requests(self) -> list[int]:
        return [sum(c.values()) for account, c in self.requests.items() if account != CALLER]

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.requests.values())


def run_scan(
    workers: int,
    args: argparse.Namespace,
    accounts: list[str],
    truth: dict[str, list[SeedUser]],
    counter: AccountCounter,
    endpoint: str,
    workdir: Path,
    as_of: datetime,
    *,
    variant: str = "stalecreds",
    src: Path | None = None,
) -> Run:
    set_reports(accounts, warm=args.warm)
    out = workdir / f"org-{workers}-{variant}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "stalecreds", "scan"]
    if args.org:
        command += ["--org", "--exclude-account", CALLER]
    else:
        command += ["--accounts-file", str(workdir / "accounts.txt")]
    command += [
        "--max-workers",
        str(workers),
        "--as-of",
        as_of.isoformat(),
        "--max-age",
        str(MAX_AGE_DAYS),
        "--format",
        "json",
        "--output",
        str(out),
    ]
    counter.reset()
    done, wall, cpu, moto_cpu = timed_scan(command, scan_env(endpoint, src))
    requests, errors, busy = counter.snapshot()
    problems: list[str] = []
    credentials = findings = failed = 0
    if done.returncode not in (0, 1, 4) or not out.exists():
        problems.append(f"scan exited {done.returncode}: {done.stderr.strip()[-800:]}")
    else:
        document = json.loads(out.read_text())
        credentials = len(document["credentials"])
        findings = document["summary"]["findings"]
        rows = document["accounts"]
        failed = sum(1 for row in rows if row["status"] != "scanned")
        problems += [
            f"account {row['account_id']}: {row['status']}: {row['error']}"
            for row in rows
            if row["status"] != "scanned"
        ]
        if sorted(row["account_id"] for row in rows) != sorted(accounts):
            problems.append("the accounts scanned are not the organisation's")
        by_account: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in document["credentials"]:
            by_account[record["account_id"]].append(record)
        for account_id in accounts:
            wrong = check(truth[account_id], {"credentials": by_account[account_id]}, as_of)
            problems += [f"account {account_id}: {problem}" for problem in wrong]
    return Run(
        workers,
        len(accounts),
        credentials,
        findings,
        failed,
        requests,
        errors,
        wall,
        busy,
        moto_cpu,
        cpu,
        done.returncode,
        problems,
        variant,
    )


# --------------------------------------------------------------------------------------------
# Output


def by_action(requests: Counter[str]) -> str:
    return " ".join(
        f"{ABBREVIATIONS.get(action, action)}={count}"
        for action, count in sorted(requests.items(), key=lambda item: (-item[1], item[0]))
    )


def actions(run: Run, *, members: bool) -> Counter[str]:
    total: Counter[str] = Counter()
    for account, counts in run.requests.items():
        if (account != CALLER) == members:
            total.update(counts)
    return total


def print_table(runs: list[Run], startups: dict[str, float], args: argparse.Namespace) -> None:
    header = (
        f"{'code':<10} {'workers':>7} {'wall s':>7} {'acct/s':>6} {'speed-up':>8} {'eff.':>5} "
        f"{'srv s':>6} {'moto cpu':>8} {'scan cpu':>8} {'cpu/acct':>8} {'requests':>8} "
        f"{'req/acct':>8} {'min':>4} {'max':>4} "
        f"{'creds':>6} {'findings':>8} {'failed':>6} {'wrong':>5}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        same = [r for r in runs if r.variant == run.variant]
        base = next((r for r in same if r.workers == 1), same[0])
        per = run.member_requests
        speedup = base.wall_s / run.wall_s
        print(
            f"{run.variant:<10} {run.workers:>7} {run.wall_s:>7.2f} "
            f"{run.accounts / run.wall_s:>6.1f} "
            f"{speedup:>7.2f}x {speedup / (run.workers / base.workers):>5.0%} "
            f"{run.server_s:>6.2f} {run.moto_cpu_s:>8.2f} {run.scan_cpu_s:>8.2f} "
            f"{run.cpu_per_account:>8.3f} {run.total:>8} "
            f"{statistics.mean(per) if per else 0:>8.1f} "
            f"{min(per, default=0):>4} {max(per, default=0):>4} {run.credentials:>6} "
            f"{run.findings:>8} {run.failed:>6} {len(run.problems):>5}"
        )
    print()
    for run in runs:
        member = actions(run, members=True)
        caller = actions(run, members=False)
        print(
            f"{run.variant}, workers {run.workers:>2}: per member account (mean) "
            + " ".join(
                f"{ABBREVIATIONS.get(a, a)}={n / max(1, run.accounts):.1f}"
                for a, n in sorted(member.items(), key=lambda i: (-i[1], i[0]))
            )
            + f"; caller's account: {by_action(caller) or '-'}"
        )
        if run.errors:
            print(f"  non-2xx answers: {by_action(run.errors)}")
    print()
    print("Actions: " + ", ".join(f"{v}={k}" for k, v in ABBREVIATIONS.items()))
    mode = "--org (ListAccounts)" if args.org else "--accounts-file"
    fixed = ", ".join(f"{variant} {seconds:.2f} s" for variant, seconds in startups.items())
    print(
        f"{args.accounts} member accounts x {args.users} users, {mode}, "
        f"{'warm' if args.warm else 'cold'} reports, {args.latency_ms:g} ms added per request. "
        "code = the package measured ('before': --compare-src); "
        "speed-up = wall(1 worker) / wall, same code; eff. = "
        "speed-up / workers; srv s = time inside moto summed over requests (they overlap); "
        "moto cpu / scan cpu = user + system CPU seconds of the moto server (this process) and "
        "of the scanning process; cpu/acct = scan cpu / accounts; "
        "req/acct, min, max = requests per member account, AssumeRole included; wrong = "
        "mismatches with the seeded truth.\n"
        "Wall time is the whole subprocess, including interpreter start, imports and one "
        f"client (measured alone, best of 3: {fixed})."
    )
    for run in runs:
        for problem in run.problems[: args.show]:
            print(f"  {run.variant}, workers {run.workers}: wrong: {problem}")
    befores = {r.workers: r for r in runs if r.variant == "before"}
    for run in runs:
        before = befores.get(run.workers)
        if run.variant == "stalecreds" and before is not None:
            print(
                f"this code vs before, workers {run.workers:>2} (same run): wall "
                f"{run.wall_s / before.wall_s:.2f}x, CPU per account "
                f"{run.cpu_per_account:.3f} s vs {before.cpu_per_account:.3f} s "
                f"({run.cpu_per_account / before.cpu_per_account:.2f}x), requests "
                f"{run.total}/{before.total}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100, help="member accounts (100)")
    parser.add_argument("--users", type=int, default=100, help="users per account (100)")
    parser.add_argument(
        "--workers", default="1,4,16", help="comma-separated --max-workers values (1,4,16)"
    )
    parser.add_argument("--org", action="store_true", help="scan with --org, not a file")
    parser.add_argument("--warm", action="store_true", help="keep the reports (cached)")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="delay each request at the server by this much (an AWS round trip; default 0)",
    )
    parser.add_argument("--seed", type=int, default=20250601, help="seed of the account mix")
    parser.add_argument("--show", type=int, default=5, help="mismatches to print per run")
    parser.add_argument(
        "--compare-src",
        type=Path,
        metavar="DIR",
        help="also scan with the package in DIR (a copy of src/ from before a change), "
        "alternating with this one, in the same run",
    )
    args = parser.parse_args()
    worker_counts = [int(part) for part in args.workers.split(",") if part.strip()]
    as_of = DEFAULT_AS_OF.astimezone(UTC)

    variants: list[tuple[str, Path | None]] = [("stalecreds", None)]
    if args.compare_src is not None:
        variants.append(("before", args.compare_src.resolve()))

    server, counter, endpoint = start_server(args.latency_ms / 1000)
    runs: list[Run] = []
    try:
        startups = {label: startup_seconds(endpoint, src) for label, src in variants}
        with tempfile.TemporaryDirectory(prefix="bench-org-") as tmp:
            workdir = Path(tmp)
            began = time.perf_counter()
            accounts = (
                create_organisation(endpoint, args.accounts)
                if args.org
                else member_ids(args.accounts)
            )
            (workdir / "accounts.txt").write_text(
                "# bench_org.py\n" + "\n".join(accounts) + "\n", encoding="utf-8"
            )
            truth: dict[str, list[SeedUser]] = {}
            for index, account_id in enumerate(accounts):
                truth[account_id] = plan_account(args.users, as_of, args.seed + index)
                seed_account(account_id, truth[account_id])
            print(
                f"seeded {len(accounts)} accounts x {args.users} users in "
                f"{time.perf_counter() - began:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            for index, workers in enumerate(worker_counts):
                # The variants alternate which goes first, so neither always gets the quieter slot.
                for variant, src in variants if index % 2 == 0 else variants[::-1]:
                    run = run_scan(
                        workers,
                        args,
                        accounts,
                        truth,
                        counter,
                        endpoint,
                        workdir,
                        as_of,
                        variant=variant,
                        src=src,
                    )
                    runs.append(run)
                    print(
                        f"  {variant}, --max-workers {workers}: {run.wall_s:.2f} s, "
                        f"{run.total} requests, {run.failed} failed, {len(run.problems)} wrong",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        server.stop()
    runs.sort(key=lambda run: ([v for v, _ in variants].index(run.variant), run.workers))
    print()
    print_table(runs, startups, args)
    print(
        "\nOne run on a noisy 2-core machine: wall times vary by +-20 % or more between runs; "
        "request counts are exact and repeatable."
    )
    return 0 if all(not run.problems for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
