"""Big hostile inputs, generated once per session (a few MB on disk: the 1 GB file is sparse)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from generate import MIB, json_lines_bomb, record, zero_bomb


@pytest.fixture(scope="session")
def big_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big-inputs")
    (folder / "bomb-2g.json.gz").write_bytes(zero_bomb(2048 * MIB))  # 2 MB that inflate to 2 GiB of zeros
    (folder / "lines-bomb.json.gz").write_bytes(json_lines_bomb(64 * MIB))  # 64 MiB of valid records, from 100 KB
    with (folder / "nul-1g.bin").open("wb") as sparse:  # 1 GiB of NUL bytes, no disk blocks
        sparse.truncate(1024 * MIB)
    # About 40 MB of JSON lines, over the 32 MiB parsed at once: read line by line. Two lines are bad.
    with (folder / "lines-40m.jsonl").open("wb") as lines:
        for number in range(24_000):
            line = json.dumps(record(number, requestParameters={"pad": "p" * 1500}), separators=(",", ":"))
            lines.write(line.encode() + b"\n")
            if number in (100, 20_000):
                lines.write(b'{"eventTime": "2026-11-20T09:00:00Z", oops\n')
    return folder
