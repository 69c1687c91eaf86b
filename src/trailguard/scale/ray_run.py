"""Replay chunks as Ray tasks, on a Ray cluster or on a Ray started on this machine (``replay --ray``).

    trailguard replay s3://trail-bucket/AWSLogs/ --cis all --ray                          # local Ray
    trailguard replay s3://trail-bucket/AWSLogs/ --cis all --ray --ray-address auto       # `ray start` here
    RAY_ADDRESS=ray://head.example:10001 trailguard replay s3://trail-bucket/AWSLogs/ --ray  # Ray Client

The driver lists the archive (``list_objects_by_prefix``: CloudTrail's account, region and date prefixes,
listed concurrently), cuts the object keys into chunks and sends each chunk to a task, which reads the objects
from S3 itself: no event data passes through the driver, only each chunk's exact aggregates, counts and
quarantine lines come back (``trailguard.scale.run.ChunkResult``). The driver merges them in key order and
evaluates the alarms once.

Tasks connect to S3 with the run's ``--region``, ``--profile`` and ``--endpoint-url`` (they travel with the
task) and with the standard AWS credential chain where they run. The driver's AWS environment variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, region, endpoint and file settings)
are passed to the tasks' runtime environment when they are set, so that a laptop's credentials reach a local
Ray; on a cluster, give the workers a role instead (an IAM role for the Kubernetes service account of a KubeRay
cluster, an instance profile for ``ray start`` on EC2) and leave those variables unset.

A task that fails, or whose worker dies, is retried by Ray (``max_retries``); local files named as sources must
be readable where the tasks run (the same machine, or a shared filesystem).

An address that cannot be reached is a ``RayConnectionError`` (the command's exit status 2): a ``HOST:PORT``
address is tried first with a plain TCP connection, because Ray itself keeps retrying one for many minutes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any, Final

from trailguard.scale.run import Chunk, ChunkResult, TaskContext, run_chunk

__all__ = ["TASK_RETRIES", "RayConnectionError", "aws_environment", "connect", "ray_executor"]

TASK_RETRIES: Final = 3
_REACH_TIMEOUT_S: Final = 10.0
_RAY_CLIENT: Final = "ray://"
_AWS_VARIABLES: Final = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_CA_BUNDLE",
    "AWS_EC2_METADATA_DISABLED",
)

Executor = Callable[[TaskContext, list[Chunk], Callable[[ChunkResult], None]], None]


def aws_environment() -> dict[str, str]:
    """The AWS settings of this process's environment that tasks need to reach S3 as the driver does."""
    return {name: os.environ[name] for name in _AWS_VARIABLES if name in os.environ}


class RayConnectionError(Exception):
    """Ray could not be reached (or started): the message names the address."""


def connect(address: str | None = None, *, num_cpus: int | None = None) -> int:
    """Connect to Ray unless this process already is (``address``, else ``RAY_ADDRESS``, else a Ray started on this
    machine with ``num_cpus`` CPUs); the cluster's CPUs. Raises ``RayConnectionError``."""
    import ray  # the optional extra trailguard[ray]: imported only when asked for

    if not ray.is_initialized():
        options: dict[str, Any] = {"runtime_env": {"env_vars": aws_environment()}, "log_to_driver": False}
        target = address or os.environ.get("RAY_ADDRESS") or None
        if address is not None:
            options["address"] = address
        elif target is None:
            options.update(include_dashboard=False, num_cpus=num_cpus)
        if target is not None:
            _check_reachable(target)
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as error:
            where = f"Ray at {target}" if target is not None else "a Ray on this machine"
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise RayConnectionError(f"cannot connect to {where}: {reason}") from None
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    return max(int(resources.get("CPU", 1)), 1)


def _check_reachable(address: str) -> None:
    """Fail at once when a ``[ray://]HOST:PORT`` address refuses connections or does not answer."""
    host, _, port = address.removeprefix(_RAY_CLIENT).rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", "local" or a form Ray resolves itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=_REACH_TIMEOUT_S).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise RayConnectionError(f"cannot connect to Ray at {address}: {host}:{port}: {reason}") from None


def ray_executor(address: str | None = None, *, num_cpus: int | None = None) -> Executor:
    """An executor for ``run_replay`` that runs each chunk as a Ray task (connecting as ``connect`` does)."""
    import ray

    def execute(context: TaskContext, chunks: list[Chunk], done: Callable[[ChunkResult], None]) -> None:
        if not chunks:
            return
        connect(address, num_cpus=num_cpus)
        task = ray.remote(_chunk_task).options(max_retries=TASK_RETRIES, retry_exceptions=True)
        shared = ray.put(context)
        pending = [task.remote(shared, chunk) for chunk in chunks]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for reference in ready:
                done(ray.get(reference))

    return execute


def _chunk_task(context: TaskContext, chunk: Chunk) -> ChunkResult:
    return run_chunk(context, chunk)
