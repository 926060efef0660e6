"""Apply benchmark (not a test): a fresh apply against `schemactl emulator serve`.

The emulator runs as its own process with Attio's real rate limits (25 writes/s, 100 reads/s)
and 100 ms added to every request. The physical floor of an apply is writes / 25 s; the
benchmark reports wall time divided by that floor (the goal is at most 1.15), how many requests
were refused with 429 (attempts the server counted beyond the writes that landed), and the peak
memory of the apply process, beside a naive baseline that makes one request at a time
(`--parallelism 1`) against a second, fresh emulator.

    python benchmarks/apply_bench.py                      # a medium workspace (~650 writes)
    python benchmarks/apply_bench.py --objects 50 --attributes 100 --choice-attributes 500 \\
        --lists 20 --webhooks 10                          # the plan benchmark's full size

It reuses the plan benchmark's workspace generator, so both measure the same kind of model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_bench import Sizes, make_spec, point_project, write_project

TOKEN = "apply-bench-token"
TOKEN_ENV = "SCHEMACTL_BENCH_TOKEN"  # the variable plan_bench's project file names
WRITES_PER_SECOND = 25.0


def serve(db: Path, latency: float) -> tuple[subprocess.Popen[str], str]:
    """`schemactl emulator serve` on a free loopback port; returns the process and base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "schemactl",
            "emulator",
            "serve",
            "--port",
            "0",
            "--db",
            str(db),
            "--rate-limit",
            "real",
            "--latency",
            str(latency),
            "--token",
            TOKEN,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://\S+/v2)", line)
    if not match:
        process.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return process, match.group(1)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def run_apply(project: Path, parallelism: int) -> dict[str, Any]:
    """One `schemactl apply --auto-approve` in its own process: wall time, exit, peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemactl",
            "-C",
            str(project),
            "apply",
            "--auto-approve",
            "--parallelism",
            str(parallelism),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, TOKEN_ENV: TOKEN},
        check=False,
    )
    wall = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    closing = [line for line in result.stdout.splitlines() if line.startswith("Apply ")]
    return {
        "exit": result.returncode,
        "wall_s": wall,
        # ru_maxrss of children is the largest child so far; the apply is the largest by far.
        "peak_rss_mib": max(peak_kib, before) / 1024,
        "report": closing[-1] if closing else result.stderr.strip()[-300:],
    }


def counters(url: str) -> dict[str, Any]:
    base = url.removesuffix("/v2")
    return httpx.get(f"{base}/_emulator/requests", timeout=30).json()["data"]


def measure(sizes: Sizes, latency: float, parallelism: int, workdir: Path, name: str) -> dict:
    project = workdir / name
    write_project(project, make_spec(sizes))
    process, url = serve(workdir / f"{name}.db", latency)
    try:
        point_project(project, url)
        httpx.delete(f"{url.removesuffix('/v2')}/_emulator/requests", timeout=30)
        run = run_apply(project, parallelism)
        seen = counters(url)
        plan_again = subprocess.run(
            [sys.executable, "-m", "schemactl", "-C", str(project), "plan", "--detailed-exitcode"],
            capture_output=True,
            text=True,
            env={**os.environ, TOKEN_ENV: TOKEN},
            check=False,
        )
    finally:
        stop(process)
    done = int(re.search(r"(\d+) done", run["report"]).group(1)) if "done" in run["report"] else 0
    floor = done / WRITES_PER_SECOND
    return {
        "parallelism": parallelism,
        "exit": run["exit"],
        "changes_done": done,
        "write_attempts": seen["writes"],
        "refused_429": seen["writes"] - done,
        "reads": seen["reads"],
        "wall_s": round(run["wall_s"], 2),
        "floor_s": round(floor, 2),
        "wall_over_floor": round(run["wall_s"] / floor, 3) if floor else None,
        "peak_rss_mib": round(run["peak_rss_mib"], 1),
        "plan_after_exit": plan_again.returncode,
        "report": run["report"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10)
    parser.add_argument("--attributes", type=int, default=20)
    parser.add_argument("--choice-attributes", type=int, default=40)
    parser.add_argument("--choices", type=int, default=10)
    parser.add_argument("--lists", type=int, default=4)
    parser.add_argument("--list-attributes", type=int, default=5)
    parser.add_argument("--webhooks", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per request")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--skip-naive", action="store_true", help="no one-at-a-time baseline")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    sizes = Sizes(
        objects=args.objects,
        attributes=args.attributes,
        choice_attributes=args.choice_attributes,
        choices=args.choices,
        lists=args.lists,
        list_attributes=args.list_attributes,
        webhooks=args.webhooks,
    )
    with tempfile.TemporaryDirectory(prefix="apply-bench-") as scratch:
        workdir = Path(scratch)
        rows = [measure(sizes, args.latency, args.parallelism, workdir, "concurrent")]
        if not args.skip_naive:
            rows.append(measure(sizes, args.latency, 1, workdir, "naive"))
    results = {"sizes": vars(sizes), "latency_s": args.latency, "runs": rows}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"latency {args.latency * 1000:.0f} ms per request, Attio's real rate limits")
    header = "run          changes  429s  reads   wall    floor  wall/floor  peak RSS  plan after"
    print(header)
    for row in rows:
        name = "concurrent" if row["parallelism"] > 1 else "one-by-one"
        print(
            f"{name:<12} {row['changes_done']:>7} {row['refused_429']:>5} {row['reads']:>6} "
            f"{row['wall_s']:>6.1f}s {row['floor_s']:>6.1f}s {row['wall_over_floor']:>10} "
            f"{row['peak_rss_mib']:>7.1f}M  exit {row['plan_after_exit']}"
        )


if __name__ == "__main__":
    main()
