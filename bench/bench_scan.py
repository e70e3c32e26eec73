"""Benchmark the offline scan: whole-process wall time and peak memory of ``stalecreds scan``.

Run from the checkout with the project's interpreter::

    .venv/bin/python bench/bench_scan.py            # 5,000 and 1,000,000 rows
    .venv/bin/python bench/bench_scan.py --quick    # 5,000 and 200,000 rows, while iterating
    .venv/bin/python bench/bench_scan.py --formats  # json, table and html at 5,000 and 300,000

Reports are generated once into ``bench/out/`` (git-ignored) by ``gen_report.py`` and reused.
Each round runs, back to back, the in-process baseline (the stdlib ``csv`` reader plus
``datetime.fromisoformat`` on the date columns, nothing else) and the CLI as a fresh child
process (``python -m stalecreds scan --format json --output …``); the best of ``--repeat``
rounds is reported, so the ratio to the baseline is measured under the same machine load.
Peak memory is the child's maximum resident set size (``os.wait4``). Children run with
bytecode caching on (as an installed tool does) after one untimed warm-up run. A separate child
run with ``-X importtime`` checks that boto3/botocore are not imported on the offline path.

``--compare-src DIR`` also times the package in ``DIR`` (a copy of ``src/`` from before a change)
in the same rounds, for before/after figures from one run.

This is a report, not a test: it always exits 0. The targets (from the issue) are printed as
PASS or MISS.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_report import write_report  # a sibling script, not a package

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
AS_OF = "2026-11-01T00:00:00Z"

SMALL_ROWS = 5_000
LARGE_ROWS = 1_000_000
QUICK_ROWS = 200_000

SMALL_WALL_TARGET_S = 0.5
LARGE_RATE_TARGET = 100_000
LARGE_PEAK_TARGET_MIB = 2048

FORMAT_ROWS = (5_000, 300_000)
FORMATS = ("json", "table", "html")
TABLE_TIME_TARGET = 3.0
"""The table at 300,000 rows: at most this many times the JSON time (issue 12 item 9)."""
TABLE_PEAK_TARGET_MIB = 300

DATE_COLUMNS = (
    "user_creation_time",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "cert_1_last_rotated",
    "cert_2_last_rotated",
)
NO_DATE = frozenset({"N/A", "no_information", "not_supported"})


def report_file(rows: int) -> Path:
    """The generated report of ``rows`` rows, generated on first use."""
    path = OUT / f"report-{rows // 1000}k.csv"
    if not path.exists():
        print(f"generating {path.relative_to(BENCH.parent)} ({rows:,} rows) …", flush=True)
        write_report(path, rows)
    return path


def baseline(path: Path) -> tuple[int, float]:
    """Rows and seconds for csv.reader plus datetime.fromisoformat on the date columns."""
    parse = datetime.fromisoformat
    no_date = NO_DATE
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        positions = [header.index(name) for name in DATE_COLUMNS]
        rows = 0
        for cells in reader:
            rows += 1
            for position in positions:
                value = cells[position]
                if value not in no_date:
                    parse(value)
    return rows, time.perf_counter() - start


@dataclass
class ChildRun:
    """One child process: wall seconds, peak RSS in MiB and exit code."""

    wall: float
    peak_mib: float
    returncode: int
    stderr: str


def run_child(command: list[str], env: dict[str, str], timeout: float | None = None) -> ChildRun:
    """Run ``command``; measure its wall time and (via wait4) its own peak RSS.

    With ``timeout`` (seconds), a child still running then is killed (exit code -9).
    """
    with open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=devnull, stderr=subprocess.PIPE, env=env)
        assert child.stderr is not None
        timer = None
        if timeout is not None:
            import threading

            timer = threading.Timer(timeout, child.kill)
            timer.start()
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        if timer is not None:
            timer.cancel()
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        child.stderr.close()
    return ChildRun(wall, usage.ru_maxrss / 1024, child.returncode, stderr.decode(errors="replace"))


def scan_command(
    path: Path, *extra: str, fmt: str = "json", output: Path | None = None
) -> list[str]:
    return [
        sys.executable,
        *extra,
        "-m",
        "stalecreds",
        "scan",
        "--report",
        str(path),
        "--format",
        fmt,
        "--as-of",
        AS_OF,
        "--output",
        str(output or OUT / f"x.{fmt}"),
    ]


def child_env(src: Path | None) -> dict[str, str]:
    """The environment of a measured child: ``src`` (if given) first on the import path.

    Bytecode caching is on whatever the caller's environment says, as for an installed tool
    (pip compiles on install); a warm-up run writes the caches before anything is timed.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH", "")]))
    return env


@dataclass
class Series:
    """Repeated measurements of one thing; the best wall time is what counts."""

    label: str
    rows: int
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    failure: str | None = None

    @property
    def best(self) -> float:
        return min(self.walls)

    @property
    def rate(self) -> float:
        return self.rows / self.best

    def add(self, run: ChildRun) -> None:
        if run.returncode not in (0, 1):  # 1 means "findings", a normal outcome
            self.failure = f"exit {run.returncode}: {run.stderr.strip()[-500:]}"
        self.walls.append(run.wall)
        self.peaks.append(run.peak_mib)


def import_check(path: Path, env: dict[str, str]) -> tuple[list[str], float, int]:
    """Modules imported by the CLI on the offline path: (boto modules, import seconds, count)."""
    result = subprocess.run(
        scan_command(path, "-X", "importtime"),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    names: list[str] = []
    total_us = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        _, cumulative, indented_name = line.split("|")
        name = indented_name[1:]  # one space, then two per nesting level
        names.append(name.strip())
        if not name.startswith(" "):
            total_us += int(cumulative)
    boto = sorted({n for n in names if n.split(".")[0] in ("boto3", "botocore")})
    return boto, total_us / 1e6, len(names)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def bench_formats(repeat: int, timeout: float) -> None:
    """JSON, table and HTML of the same reports, in one run: wall time and peak memory.

    The table and HTML are written to a file (``--output``), as when piped: the table at its
    default width of 140 columns. Each (rows, format) keeps its best of ``repeat`` rounds; the
    formats take turns within a round, so they share the machine's load.
    """
    env = child_env(None)
    paths = {rows: report_file(rows) for rows in FORMAT_ROWS}
    run_child(scan_command(paths[FORMAT_ROWS[0]]), env)  # warm-up
    results = {(rows, fmt): Series(fmt, rows) for rows in FORMAT_ROWS for fmt in FORMATS}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; formats, best of {repeat}")
    for round_number in range(1, repeat + 1):
        for rows in FORMAT_ROWS:
            for fmt in FORMATS if round_number % 2 else FORMATS[::-1]:
                output = OUT / f"x-{rows}.{fmt}"
                run = run_child(scan_command(paths[rows], fmt=fmt, output=output), env, timeout)
                results[rows, fmt].add(run)
        print(f"  round {round_number} done", flush=True)
    print()
    print(
        f"{'rows':>9} {'format':>7} {'wall s':>8} {'vs json':>8} {'peak MiB':>9} {'output MiB':>11}"
    )
    for rows in FORMAT_ROWS:
        json_best = results[rows, "json"].best
        for fmt in FORMATS:
            series = results[rows, fmt]
            output = OUT / f"x-{rows}.{fmt}"
            size = output.stat().st_size / 2**20 if output.exists() else 0.0
            if series.failure:
                print(f"{rows:>9,} {fmt:>7} FAILED {series.failure[:200]}")
                continue
            print(
                f"{rows:>9,} {fmt:>7} {series.best:>8.2f} {series.best / json_best:>7.2f}x "
                f"{max(series.peaks):>9.1f} {size:>11.1f}"
            )
    large = FORMAT_ROWS[-1]
    table, as_json = results[large, "table"], results[large, "json"]
    print()
    print("targets (table):")
    if not (table.failure or as_json.failure):
        ratio = table.best / as_json.best
        print(
            f"  {verdict(ratio <= TABLE_TIME_TARGET)}  {large:,} rows: table {table.best:.2f} s "
            f"= {ratio:.2f}x the JSON time <= {TABLE_TIME_TARGET}x"
        )
        print(
            f"  {verdict(max(table.peaks) < TABLE_PEAK_TARGET_MIB)}  {large:,} rows: table peak "
            f"{max(table.peaks):.1f} MiB < {TABLE_PEAK_TARGET_MIB} MiB"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows, not 1M")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is reported")
    parser.add_argument("--compare-src", type=Path, metavar="DIR", help="also time DIR's package")
    parser.add_argument(
        "--formats",
        action="store_true",
        help="time json, table and html at 5,000 and 300,000 rows instead",
    )
    parser.add_argument(
        "--timeout", type=float, default=900, help="--formats: seconds before a run is killed"
    )
    args = parser.parse_args(argv)
    if args.formats:
        bench_formats(args.repeat, args.timeout)
        return 0

    large_rows = QUICK_ROWS if args.quick else LARGE_ROWS
    small = report_file(SMALL_ROWS)
    large = report_file(large_rows)
    variants = [("stalecreds", child_env(None))]
    if args.compare_src is not None:
        variants.append((f"compare ({args.compare_src})", child_env(args.compare_src)))
    for _, env in variants:
        run_child(scan_command(small), env)  # warm-up: bytecode caches, page cache

    base = Series("baseline csv+fromisoformat", 0)
    results: dict[tuple[str, int], Series] = {}
    for label, _ in variants:
        for rows in (SMALL_ROWS, large_rows):
            results[label, rows] = Series(label, rows)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; best of {args.repeat} rounds")
    for round_number in range(1, args.repeat + 1):
        rows, seconds = baseline(large)
        base.rows = rows
        base.walls.append(seconds)
        # Small files first (a large run leaves hundreds of MiB to write back), and the variants
        # in turn first, so that neither gets the quieter slot every time.
        order = variants if round_number % 2 else variants[::-1]
        for path, rows in ((small, SMALL_ROWS), (large, large_rows)):
            for label, env in order:
                results[label, rows].add(run_child(scan_command(path), env))
        print(f"  round {round_number}: baseline {rows / seconds:,.0f} rows/s", flush=True)

    print()
    print(f"baseline (in-process, {base.rows:,} rows): {base.best:.3f} s, {base.rate:,.0f} rows/s")
    print()
    header = f"{'':34} {'rows':>9} {'wall s':>8} {'rows/s':>9} {'ratio':>6} {'peak MiB':>9}"
    print(header)
    for (label, rows), series in results.items():
        if series.failure:
            print(f"{label:34} {rows:>9,} FAILED {series.failure}")
            continue
        print(
            f"{label:34} {rows:>9,} {series.best:>8.3f} {series.rate:>9,.0f} "
            f"{series.rate / base.rate:>6.2f} {max(series.peaks):>9.1f}"
        )

    boto, import_s, modules = import_check(small, variants[0][1])
    ours_small = results["stalecreds", SMALL_ROWS]
    ours_large = results["stalecreds", large_rows]
    if args.compare_src is not None:
        label = variants[1][0]
        other_small, other_large = results[label, SMALL_ROWS], results[label, large_rows]
        if not (other_small.failure or other_large.failure):
            print(
                f"\nstalecreds vs {label}: {ours_large.rate / other_large.rate:.2f}x the rows/s "
                f"at {large_rows:,} rows; {SMALL_ROWS:,} rows in {ours_small.best:.3f} s "
                f"vs {other_small.best:.3f} s"
            )
    print()
    print("targets (stalecreds):")
    if not ours_small.failure:
        print(
            f"  {verdict(ours_small.best < SMALL_WALL_TARGET_S)}  {SMALL_ROWS:,} rows wall "
            f"{ours_small.best:.3f} s < {SMALL_WALL_TARGET_S} s (including interpreter start)"
        )
    if not ours_large.failure:
        scope = "" if large_rows == LARGE_ROWS else f" (--quick: {large_rows:,} rows)"
        print(
            f"  {verdict(ours_large.rate >= LARGE_RATE_TARGET)}  {ours_large.rate:,.0f} rows/s "
            f">= {LARGE_RATE_TARGET:,}{scope}; {ours_large.rate / base.rate:.2f}x the baseline"
        )
        print(
            f"  {verdict(max(ours_large.peaks) < LARGE_PEAK_TARGET_MIB)}  peak "
            f"{max(ours_large.peaks):.1f} MiB < {LARGE_PEAK_TARGET_MIB} MiB{scope}"
        )
    found = ", ".join(boto) if boto else "none"
    print(
        f"  {verdict(not boto)}  boto3/botocore not imported on the offline path "
        f"(found: {found}; {modules} modules, {import_s:.3f} s of imports)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
