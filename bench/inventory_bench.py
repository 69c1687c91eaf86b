"""The AWS inventory against a large account on a local moto server: API calls made vs the minimum the links
require, and wall time of the concurrent inventory vs a sequential one.

    python bench/inventory_bench.py [--regions 17] [--multi-region-trails 3] [--extra-filters 5]
                                    [--unrelated-alarms 10] [--big-topic-subscriptions 150]
                                    [--workers 16] [--repeat 3] [--latency-ms 50]

The moto server runs in its own process (``python -m moto.server``), so its request handling does not
share the benchmark's interpreter lock. The account is built once through boto3 (tests/aws_builders.py):

- one multi-region trail per home region among the first ``--multi-region-trails`` regions, the first two
  writing to the same log group (so its filters and alarms must be read once, not twice);
- one single-region trail in every region, each with its own log group there;
- on every log group the 15 CIS metric filters (v7.0.0) plus ``--extra-filters`` unrelated ones;
- in every region an alarm per CIS filter, acting on that region's topic, plus ``--unrelated-alarms`` CPU
  alarms acting on another topic (which the inventory has no reason to read);
- the CIS topic of every region has 3 subscriptions, the first region's ``--big-topic-subscriptions``
  (more than one ListSubscriptionsByTopic page).

"Minimum" is counted from that plan, not from the inventory: one GetCallerIdentity, one DescribeTrails per
region, GetTrailStatus and GetEventSelectors per distinct trail, DescribeLogGroups and DescribeMetricFilters
per distinct log group, DescribeAlarms per region holding a log group, and per CIS topic one
GetTopicAttributes plus one ListSubscriptionsByTopic per 100 subscriptions (moto's page size; moto returns
all metric filters and alarms in one page). Times are the best of ``--repeat`` runs, each with a fresh
session (client creation included), measured in this process around ``collect_inventory``; the time botocore
takes to create the same clients in a fresh session, without calling anything, is printed beside them.

Loopback answers in a few milliseconds, where AWS takes tens. ``--latency-ms`` repeats both runs through a
proxy on 127.0.0.1 (tests/refusing_endpoint.py, refusing nothing) that holds every request that long before
passing it to moto: a simulated round trip, labelled as such (0 skips it).
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from aws_builders import MonitorSpec, MotoAccount, metric_alarm_request, metric_filter_request
from refusing_endpoint import RefusingEndpoint
from trailguard.aws import AwsOptions, AwsSession, CallRecorder, collect_inventory
from trailguard.catalog import cis_controls

REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
)
MODEL_PAGE = 100  # moto's ListSubscriptionsByTopic page size


@dataclass
class Plan:
    """What was built, to count the minimum calls from."""

    regions: tuple[str, ...]
    trails: int = 0
    log_groups: set[tuple[str, str]] = field(default_factory=set)  # (region, name)
    cis_topics: dict[str, int] = field(default_factory=dict)  # arn -> subscriptions

    def minimum(self) -> Counter[str]:
        return Counter(
            {
                "sts:GetCallerIdentity": 1,
                "cloudtrail:DescribeTrails": len(self.regions),
                "cloudtrail:GetTrailStatus": self.trails,
                "cloudtrail:GetEventSelectors": self.trails,
                "logs:DescribeLogGroups": len(self.log_groups),
                "logs:DescribeMetricFilters": len(self.log_groups),
                "cloudwatch:DescribeAlarms": len({region for region, _ in self.log_groups}),
                "sns:GetTopicAttributes": len(self.cis_topics),
                "sns:ListSubscriptionsByTopic": sum(
                    max(1, math.ceil(count / MODEL_PAGE)) for count in self.cis_topics.values()
                ),
            }
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            return server, url
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    server.kill()
    raise SystemExit("moto server did not start within 30 s")


def build(endpoint: str, args: argparse.Namespace) -> tuple[MotoAccount, Plan]:
    regions = REGIONS[: args.regions]
    account = MotoAccount.create(endpoint)
    plan = Plan(regions)
    monitors = [MonitorSpec(control=control.id) for control in cis_controls("7.0.0")]
    extra = [
        MonitorSpec(filter_name=f"app-errors-{n}", metric_name=f"AppErrors{n}", metric_namespace="App", pattern="ERROR")
        for n in range(args.extra_filters)
    ]

    def log_group(region: str, name: str) -> str:
        if (region, name) not in plan.log_groups:
            plan.log_groups.add((region, name))
            account.create_log_group(name, region)
            for monitor in (*monitors, *extra):
                account.put_metric_filter(name, region, metric_filter_request(monitor))
        return f"arn:aws:logs:{region}:{account.account_id}:log-group:{name}:*"

    for index, region in enumerate(regions):
        subscribers = args.big_topic_subscriptions if index == 0 else 3
        topic = account.create_topic(f"cis-alarms-{region}", region)
        for number in range(subscribers):
            account.subscribe(topic, "email", f"security-{number}@example.com")
        plan.cis_topics[topic] = subscribers
        unrelated = account.create_topic(f"ops-{region}", region)
        account.subscribe(unrelated, "email", "ops@example.com")
        account.create_trail(f"local-{region}", region, multi_region=False, log_group_arn=log_group(region, "local"))
        plan.trails += 1
        for monitor in monitors:
            account.put_metric_alarm(region, metric_alarm_request(monitor, topic))
        for number in range(args.unrelated_alarms):
            account.put_metric_alarm(
                region,
                {
                    "AlarmName": f"cpu-{number}",
                    "MetricName": "CPUUtilization",
                    "Namespace": "AWS/EC2",
                    "Dimensions": [{"Name": "InstanceId", "Value": f"i-{number:017x}"}],
                    "Statistic": "Average",
                    "Period": 300,
                    "EvaluationPeriods": 3,
                    "Threshold": 90.0,
                    "ComparisonOperator": "GreaterThanThreshold",
                    "AlarmActions": [unrelated],
                },
            )
    for index in range(min(args.multi_region_trails, len(regions))):
        home = regions[index]
        group_region = regions[0] if index < 2 else home  # the first two trails share one log group
        account.create_trail(f"org-wide-{index}", home, log_group_arn=log_group(group_region, "central"))
        plan.trails += 1
    return account, plan


def run(
    account: MotoAccount, endpoint: str, regions: tuple[str, ...], workers: int
) -> tuple[float, Counter[str], list[tuple[str, str]]]:
    recorder = CallRecorder()
    options = AwsOptions(region=regions[0], endpoint_url=endpoint, assume_roles=(account.role_arn,))
    started = time.perf_counter()
    session = AwsSession(options, recorder=recorder)
    snapshot = collect_inventory(session, regions=regions, max_workers=workers)
    elapsed = time.perf_counter() - started
    if snapshot.all_errors():
        raise SystemExit(f"the inventory recorded errors: {snapshot.all_errors()[:3]}")
    clients = sorted({(call.service, call.region) for call in recorder.calls})
    return elapsed, recorder.count(), clients


def client_creation(endpoint: str, regions: tuple[str, ...], clients: list[tuple[str, str]]) -> float:
    """Seconds botocore takes to create ``clients`` in a fresh session (no call made)."""
    session = AwsSession(AwsOptions(region=regions[0], endpoint_url=endpoint))
    started = time.perf_counter()
    for service, region in clients:
        session.client(service, region)
    return time.perf_counter() - started


def timed(
    account: MotoAccount, endpoint: str, plan: Plan, args: argparse.Namespace
) -> dict[str, tuple[float, Counter[str], list[tuple[str, str]]]]:
    results = {}
    for label, workers in (("concurrent", args.workers), ("sequential", 1)):
        best: tuple[float, Counter[str], list[tuple[str, str]]] | None = None
        for _ in range(args.repeat):
            outcome = run(account, endpoint, plan.regions, workers)
            if best is None or outcome[0] < best[0]:
                best = outcome
        assert best is not None
        results[label] = best
    return results


def report_times(
    title: str,
    results: dict[str, tuple[float, Counter[str], list[tuple[str, str]]]],
    args: argparse.Namespace,
    creation: float,
) -> None:
    concurrent, sequential = results["concurrent"][0], results["sequential"][0]
    print(
        f"{title}: concurrent ({args.workers} workers) {concurrent:.2f} s, sequential {sequential:.2f} s, "
        f"speed-up {sequential / concurrent:.1f}x (each includes ~{creation:.2f} s of botocore client creation)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=17, choices=range(1, len(REGIONS) + 1), metavar="N")
    parser.add_argument("--multi-region-trails", type=int, default=3)
    parser.add_argument("--extra-filters", type=int, default=5)
    parser.add_argument("--unrelated-alarms", type=int, default=10)
    parser.add_argument("--big-topic-subscriptions", type=int, default=150)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)

    server, endpoint = start_moto()
    try:
        started = time.perf_counter()
        account, plan = build(endpoint, args)
        print(
            f"built in {time.perf_counter() - started:.1f} s: {len(plan.regions)} regions, {plan.trails} trails, "
            f"{len(plan.log_groups)} log groups x {15 + args.extra_filters} filters, "
            f"{len(plan.regions) * (15 + args.unrelated_alarms)} alarms, {2 * len(plan.regions)} topics"
        )
        loopback = timed(account, endpoint, plan, args)
        clients = loopback["concurrent"][2]
        creation = client_creation(endpoint, plan.regions, clients)
        delayed = None
        if args.latency_ms > 0:
            with RefusingEndpoint(endpoint, [], latency=args.latency_ms / 1000) as proxy:
                delayed = timed(account, proxy.url, plan, args)
    finally:
        server.terminate()
        server.wait(timeout=10)

    made = Counter(loopback["concurrent"][1])
    made.pop("sts:AssumeRole", None)  # the options' role chain, not the inventory
    minimum = plan.minimum()
    print(f"\n{'API call':<34}{'made':>8}{'minimum':>9}")
    for action in sorted(set(made) | set(minimum)):
        print(f"{action:<34}{made[action]:>8}{minimum[action]:>9}")
    print(f"{'total':<34}{sum(made.values()):>8}{sum(minimum.values()):>9}")
    print(f"\nwall time, best of {args.repeat}, {os.cpu_count()} CPUs, {len(clients)} clients:")
    report_times("  loopback", loopback, args, creation)
    if delayed is not None:
        report_times(f"  +{args.latency_ms:g} ms per request (simulated)", delayed, args, creation)


if __name__ == "__main__":
    main()
