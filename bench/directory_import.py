"""The directory import, as a daily sync runs it: a generated file imported into an empty
Redis, then the same file again (unchanged), and Redis's bytes per national.

    .venv/bin/python -m bench.directory_import [--nationals 1000000] [--rounds 2]
        [--tree PATH ...]

Each round imports once per checkout (`--tree`: another copy of the code, e.g. a worktree
of the commit before a change), one after the other, so that checkouts compare in one
sitting. Each import runs in a process of its own from its checkout, into a Redis of its
own started here.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench.common import directory_file
from services.embedded.processes import start_redis

HERE = Path(__file__).resolve().parent.parent


# Run in the checkout measured, so it uses only what every checkout has: both imports,
# and Redis's memory after the first.
_IMPORT_TWICE = """
import asyncio, json, sys, time
from pathlib import Path
from redis.asyncio import Redis
from services.directory.importer import import_files

async def main(url, path):
    redis = Redis.from_url(url, decode_responses=True)
    started = time.perf_counter()
    report = await import_files(redis, [path])
    first = time.perf_counter() - started
    assert not report.rejected, report.rejected[:3]
    used = int((await redis.info("memory"))["used_memory"])
    started = time.perf_counter()
    await import_files(redis, [path])
    again = time.perf_counter() - started
    await redis.aclose()
    per_national = used / report.imported["national"]
    return {"first_s": first, "again_s": again, "bytes_per_national": per_national}

print(json.dumps(asyncio.run(main(sys.argv[1], Path(sys.argv[2])))))
"""


def _measure(checkout: Path, path: Path) -> dict[str, float]:
    redis = start_redis()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _IMPORT_TWICE, redis.url, str(path)],
            cwd=checkout,
            env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        return result
    finally:
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nationals", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tree", type=Path, action="append", default=[])
    args = parser.parse_args()
    path = directory_file(args.nationals)
    checkouts = [HERE, *(t.resolve() for t in args.tree)]
    for round_number in range(1, args.rounds + 1):
        for checkout in checkouts:
            found = _measure(checkout, path)
            print(
                f"round {round_number} {checkout}: first import {found['first_s']:.1f} s, "
                f"again unchanged {found['again_s']:.1f} s, "
                f"{found['bytes_per_national']:.0f} bytes per national",
                flush=True,
            )


if __name__ == "__main__":
    main()
