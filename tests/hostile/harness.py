"""Running trailguard as a separate process against hostile input, and checking what it did.

``run`` starts ``python -m trailguard ...`` through a small launcher process, with a deadline, and returns exit
status, output, wall time and peak memory. The launcher is there for the memory figure: Linux keeps a process's
peak resident size across ``fork`` and ``execve``, so a child forked straight from pytest would report pytest's
own size (250 MB and more late in a full run) as its peak. Forked from the freshly started launcher, the child
starts from a few megabytes, and the launcher's ``os.wait4`` reports that child's own peak.
``Snapshot`` records every file under a folder (bytes, mode, modification time) so that a test can show
nothing the user owns was modified or deleted. ``check`` asserts the common promises of docs/guarantees.md.

Safety nets for the machine running the suite, not part of what is measured: the child's address space is
capped at 4 GiB and the largest file it may write at 256 MiB (a bug would then fail the test rather than
exhaust the machine).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000
# Generous bounds: the point is that a bound holds, not speed. A replay of a few small files takes about
# 0.5 s and 60 MB; the largest input the suite sends inflates to 2 GB.
DEFAULT_SECONDS = 60.0
DEFAULT_PEAK_BYTES = 600 * MB

_DIGESTED_UP_TO = 64 * 1024**2
_ADDRESS_SPACE_CAP = 4 * 1024**3
_FILE_SIZE_CAP = 256 * 1024**2


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    status: int
    stdout: bytes
    stderr: str
    seconds: float
    peak_bytes: int

    def describe(self) -> str:
        return (
            f"trailguard {' '.join(self.args)[:300]}\n  exit {self.status}, {self.seconds:.1f} s, "
            f"{self.peak_bytes / MB:.0f} MB\n  stderr: {self.stderr[-2000:]}"
        )


# Run as ``python -S -c _LAUNCHER REPORT_FD CLOSE_STDIN COMMAND...``: applies the safety limits, runs COMMAND as
# its child, writes the child's peak resident kilobytes to REPORT_FD and ends as the child ended (the same
# exit status, or killed by the same signal).
_LAUNCHER = f"""
import os, resource, signal, sys
report_fd, close_stdin, command = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3:]
resource.setrlimit(resource.RLIMIT_AS, ({_ADDRESS_SPACE_CAP}, {_ADDRESS_SPACE_CAP}))
resource.setrlimit(resource.RLIMIT_FSIZE, ({_FILE_SIZE_CAP}, {_FILE_SIZE_CAP}))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if close_stdin:
    os.close(0)
pid = os.fork()
if pid == 0:
    os.close(report_fd)
    os.execv(command[0], command)
while True:
    try:
        _, wait_status, usage = os.wait4(pid, 0)
        break
    except InterruptedError:
        continue
os.write(report_fd, str(usage.ru_maxrss).encode())
os.close(report_fd)
if os.WIFSIGNALED(wait_status):
    signal.signal(os.WTERMSIG(wait_status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(wait_status))
sys.exit(os.waitstatus_to_exitcode(wait_status))
"""


def run(
    args: Sequence[str],
    *,
    cwd: Path,
    input_bytes: bytes | None = None,
    stdin_path: Path | None = None,
    close_stdin: bool = False,
    env: dict[str, str] | None = None,
    timeout: float = DEFAULT_SECONDS * 3,
) -> Run:
    """Run ``python -m trailguard *args`` in ``cwd`` and measure it. Standard input is ``input_bytes``, the
    file ``stdin_path``, closed (``close_stdin``), or empty. A child still running at ``timeout`` is killed and
    the test fails: a hang is the one outcome that must never happen."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin_file = stdin_path.open("rb") if stdin_path is not None else None
        try:
            if input_bytes is not None:
                stdin: int | object = subprocess.PIPE
            elif stdin_file is not None:
                stdin = stdin_file
            elif close_stdin:
                stdin = None
            else:
                stdin = subprocess.DEVNULL
            report_read, report_write = os.pipe()
            started = time.monotonic()
            try:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-S",
                        "-c",
                        _LAUNCHER,
                        str(report_write),
                        "1" if close_stdin else "0",
                        sys.executable,
                        "-m",
                        "trailguard",
                        *args,
                    ],
                    cwd=cwd,
                    stdin=stdin,  # type: ignore[arg-type]
                    stdout=out,
                    stderr=err,
                    env=env,
                    pass_fds=(report_write,),
                    process_group=0,  # the deadline kills the launcher and trailguard together
                )
            finally:
                os.close(report_write)
            feeder = None
            if input_bytes is not None:
                feeder = threading.Thread(target=_feed, args=(process, input_bytes), daemon=True)
                feeder.start()
            try:
                status = _wait(process, started + timeout, args)
                peak_kilobytes = os.read(report_read, 64)
            finally:
                os.close(report_read)
            seconds = time.monotonic() - started
            if feeder is not None:
                feeder.join(timeout=10)
        finally:
            if stdin_file is not None:
                stdin_file.close()
        out.seek(0)
        err.seek(0)
        return Run(
            tuple(args),
            status,
            out.read(),
            err.read().decode("utf-8", "replace"),
            seconds,
            int(peak_kilobytes) * 1024,  # ru_maxrss is in kilobytes on Linux
        )


def _feed(process: subprocess.Popen[bytes], data: bytes) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(data)
        process.stdin.close()
    except (BrokenPipeError, OSError):
        pass  # the child stopped reading (a refused input): what it did is what the test checks


def _wait(process: subprocess.Popen[bytes], deadline: float, args: Sequence[str]) -> int:
    while True:
        status = process.poll()
        if status is not None:
            return status
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise AssertionError(f"trailguard {' '.join(args)[:200]} still running after its deadline: killed")
        time.sleep(0.01)


# ---------------------------------------------------------------- what the user owns


@dataclass(frozen=True)
class FileState:
    kind: str
    mode: int
    size: int
    mtime_ns: int
    digest: str | None


class Snapshot:
    """Every file under ``root`` (not following links), except paths under ``ignore`` (relative names of
    outputs the run is allowed to write)."""

    def __init__(self, root: Path, ignore: Sequence[str] = ()) -> None:
        self.root = root
        self.ignore = tuple(ignore)
        self.states = self._take()

    def _take(self) -> dict[str, FileState]:
        states: dict[str, FileState] = {}
        for folder, subfolders, names in os.walk(self.root):
            for name in [*subfolders, *names]:
                path = Path(folder) / name
                relative = str(path.relative_to(self.root))
                if relative.startswith(self.ignore) and self.ignore:
                    continue
                info = path.lstat()
                digest = None
                if stat.S_ISREG(info.st_mode) and info.st_size <= _DIGESTED_UP_TO:
                    digest = _digest(path)  # larger ones (a sparse 1 GB file) by size and time only
                kind = stat.filemode(info.st_mode)[0]
                states[relative] = FileState(kind, info.st_mode, info.st_size, info.st_mtime_ns, digest)
        return states

    def assert_unchanged(self) -> None:
        after = self._take()
        changed = sorted(name for name in self.states.keys() | after.keys() if self.states.get(name) != after.get(name))
        assert not changed, f"files the user owns were modified, created or deleted: {changed[:10]}"


def _digest(path: Path) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            hasher.update(chunk)
    return hasher.hexdigest()


# ---------------------------------------------------------------- the common promises


def check(
    result: Run,
    *,
    status: int | set[int],
    seconds: float = DEFAULT_SECONDS,
    peak_bytes: int = DEFAULT_PEAK_BYTES,
    quarantine: Path | None = None,
) -> None:
    """No traceback, the documented exit status, a message for every failure, within the time and memory
    bounds; when ``quarantine`` exists, every line of it is a JSON object (it stays valid JSON lines
    whatever was set aside); /dev/null is still a device."""
    allowed = {status} if isinstance(status, int) else status
    assert "Traceback" not in result.stderr, result.describe()
    assert "Exception ignored" not in result.stderr, result.describe()
    assert result.status in allowed, result.describe()
    if result.status == 2:
        assert "error" in result.stderr.lower(), result.describe()  # every failure says why
    assert result.seconds < seconds, result.describe()
    assert result.peak_bytes < peak_bytes, result.describe()
    if quarantine is not None and quarantine.exists():
        with quarantine.open("rb") as lines:
            for line in lines:
                assert isinstance(json.loads(line), dict), result.describe()
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode), "/dev/null is no longer a device"


# ---------------------------------------------------------------- a replay over files the test writes


@dataclass(frozen=True)
class ReplayOutcome:
    run: Run
    document: dict[str, object] | None  # the JSON report, when one was written
    quarantine: Path

    @property
    def reasons(self) -> set[str]:
        if self.document is None:
            return set()
        summary = self.document["input"]
        assert isinstance(summary, dict)
        return set(summary["quarantinedByReason"])


def replay_files(
    root: Path,
    files: dict[str, bytes],
    *,
    sources: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    status: int | set[int],
    seconds: float = DEFAULT_SECONDS,
    peak_bytes: int = DEFAULT_PEAK_BYTES,
    input_bytes: bytes | None = None,
) -> ReplayOutcome:
    """Write ``files`` under ``root/in``, replay them (or ``sources``) with the JSON report and the quarantine
    in ``root/out``, and check the common promises; nothing under ``root`` but ``out`` may change."""
    for name, data in files.items():
        path = root / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "in").mkdir(exist_ok=True)
    (root / "bystander.txt").write_text("a file of the user's, next to the inputs\n")
    snapshot = Snapshot(root, ignore=["out"])
    quarantine = root / "out" / "q.jsonl"
    args = [*(sources if sources is not None else ["in"]), "--quarantine", str(quarantine), "--output", "json"]
    result = run(["replay", *args, *extra], cwd=root, input_bytes=input_bytes)
    check(result, status=status, seconds=seconds, peak_bytes=peak_bytes, quarantine=quarantine)
    snapshot.assert_unchanged()
    document = json.loads(result.stdout) if result.stdout.strip() else None
    if result.status == 0:
        assert document is not None, result.describe()
    return ReplayOutcome(result, document, quarantine)


def run_cases(cases: dict[str, Callable[[], object]], workers: int | None = None) -> None:
    """Run independent cases (each starts its own trailguard processes) a few at a time, and fail naming every
    case that failed. Interpreter start-up dominates small cases, so running them side by side keeps the
    suite within its few minutes; every process is still measured on its own."""
    from concurrent.futures import ThreadPoolExecutor

    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=workers or max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(case) for name, case in cases.items()}
        for name, future in futures.items():
            error = future.exception()
            if error is not None:
                failures.append(f"--- {name}: {type(error).__name__}: {error}")
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)
