"""`trailguard audit` end to end, as a user runs it: one account and region, all 15 CIS controls, against a local
moto server — wall time per run including process start, and where the time goes.

    python bench/audit_bench.py [--repeat 5]

The moto server runs in its own process (``python -m moto.server``) so its request handling does not share the
measured process's interpreter lock. The account is built once through boto3 (tests/aws_builders.py): a compliant
multi-region trail with its log group, the 15 CIS v7.0.0 metric filters and alarms, a topic and a subscription.

Each run is a fresh ``python -m trailguard audit --controls all --output json`` process timed from the outside
(the best of ``--repeat``), so interpreter start-up, imports, the inventory over HTTP, the judgement of every
filter against every control, the alarm simulations and the JSON output are all counted. For comparison the
same process is timed on the saved inventory snapshot (no AWS calls: the audit's own work), and
``python -m trailguard --version`` gives the floor of process start-up and the CLI's imports.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from aws_builders import AccountSpec, build_account


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
            return server, endpoint
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("moto server did not start")


def _best(command: list[str], env: dict[str, str], repeat: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    best = float("inf")
    result: subprocess.CompletedProcess[str] | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    os.environ.update(env)
    server, endpoint = _start_moto()
    try:
        account = build_account(endpoint, AccountSpec.for_controls())
        trailguard = [sys.executable, "-m", "trailguard"]
        base = [*trailguard, "audit", "--endpoint-url", endpoint, "--role-arn", account.role_arn]
        base += ["--region", "us-east-1", "--controls", "all", "--output", "json"]
        with tempfile.TemporaryDirectory() as scratch:
            snapshot = str(Path(scratch) / "inventory.json")
            live, result = _best([*base, "--save-snapshot", snapshot], env, args.repeat)
            document = json.loads(result.stdout)
            offline, _ = _best(
                [*trailguard, "audit", "--snapshot", snapshot, "--controls", "all", "--output", "json"],
                env,
                args.repeat,
            )
            floor, _ = _best([*trailguard, "--version"], env, args.repeat)
    finally:
        server.kill()
    print(f"account {account.account_id}: 15 CIS controls, one region, moto on {endpoint}; best of {args.repeat}")
    print(f"  summary: {document['summary']}")
    print(f"  trailguard audit (inventory over HTTP + audit)  : {live:6.2f} s")
    print(f"  trailguard audit --snapshot (no AWS calls)      : {offline:6.2f} s")
    print(f"  python -m trailguard --version (start-up floor) : {floor:6.2f} s")
    print(f"  goal: under 2 s end to end -> {'met' if live < 2 else 'NOT MET'}")
    return 0 if document["summary"]["PASS"] == 15 else 1


if __name__ == "__main__":
    sys.exit(main())
