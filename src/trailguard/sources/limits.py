"""Every cap trailguard puts on untrusted input, in one place (docs/guarantees.md explains each).

CloudTrail is written by whoever acts in an account and archives come from anywhere, so no input may make a
run use unbounded memory, disk or time. What exceeds a cap is quarantined with the cap in its detail; the
run goes on.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_INFLATE_RATIO",
    "MAX_MESSAGE_BYTES",
    "MAX_QUARANTINE_LINES_PER_INPUT",
    "MAX_TEST_MESSAGE_BYTES",
    "MIN_BYTES_PER_CONTAINER",
    "READ_CHUNK_BYTES",
]

# CloudTrail does not deliver events over 256 KB to CloudWatch Logs ("CloudTrail event size" in the
# CloudTrail user guide; docs/compatibility.md), so a larger record can never reach a metric filter.
MAX_MESSAGE_BYTES: Final = 262_144

# The most JSON text parsed at once: a whole input that is not JSON lines (CloudTrail's {"Records":[...]}
# delivery file, an array, a pretty-printed document), or one line of a JSON-lines input. CloudTrail
# delivery files are a few MB of JSON (the largest of the benchmark archive is 5.1 MB); 32 MiB leaves six
# times that. Parsed, JSON takes several times its text in memory (about 6 times for CloudTrail, up to
# about 12 times for shapes MIN_BYTES_PER_CONTAINER lets through), so this cap is what bounds memory.
# Inputs over it are read as JSON lines, line by line.
MAX_DOCUMENT_BYTES: Final = 32 * 1024 * 1024

# Parsing "[[],[],[],...]" costs about 30 bytes of memory per byte of text. Real CloudTrail has one JSON
# object or array per 70 bytes or more (measured over a corpus of real CloudTrail); text over 8 MiB denser
# than one per 16 bytes is refused before it is parsed.
MIN_BYTES_PER_CONTAINER: Final = 16

# A gzip input whose inflated bytes pass MAX_DOCUMENT_BYTES at more than this many times the stored bytes
# consumed is a decompression bomb: CloudTrail's gzip files inflate about 10 to 20 times (at most 17.3 over
# the real corpus), and a stream of zeros about 1,000 times.
MAX_INFLATE_RATIO: Final = 100

# The quarantine file keeps at most this many entries per input (file, S3 object, log stream); later ones
# are counted, and one line at the end says how many were not written. Without it, a 1 GB file of "0\n"
# lines would write some 45 GB of quarantine.
MAX_QUARANTINE_LINES_PER_INPUT: Final = 10_000

# test-pattern reads free-form log lines: the largest CloudWatch Logs event, 1 MB ("PutLogEvents" in the
# CloudWatch Logs API reference: "The maximum event size is 1 MB").
MAX_TEST_MESSAGE_BYTES: Final = 1_048_576

# Stored bytes read per call from a file, a pipe or an S3 body.
READ_CHUNK_BYTES: Final = 1024 * 1024
