"""The bytes of one input (a file, a pipe, standard input, an S3 object body), gunzipped on the fly and read
in bounded pieces.

gzip is recognised by its magic bytes, whatever the input is called. Every member of a multi-member
stream is inflated and its CRC and length checked; zero padding after the last member is allowed (some
writers leave it), anything else after it is an error. Nothing is read ahead of what the caller asks for
beyond one chunk of stored bytes (``READ_CHUNK_BYTES``), and no call returns more than it was asked for,
so a 2 MB file that inflates to 2 GB costs what the caller chooses to hold, not 2 GB.

zlib is used directly rather than the gzip module, whose header parsing in Python cost more than the
inflating itself on CloudTrail's many small objects.
"""

from __future__ import annotations

import zlib
from typing import Final, Protocol

from trailguard.sources.events import SourceStats
from trailguard.sources.limits import MAX_DOCUMENT_BYTES, MAX_INFLATE_RATIO, READ_CHUNK_BYTES

__all__ = ["GZIP_MAGIC", "GzipBombError", "GzipError", "InputReader", "Readable"]

GZIP_MAGIC: Final = b"\x1f\x8b"
_GZIP_CONTAINER: Final = 31  # zlib wbits: gzip header and trailer, CRC32 and length checked


class Readable(Protocol):
    """What an input is read through: ``read(size)`` returns at most ``size`` bytes, ``b""`` at the end."""

    def read(self, size: int, /) -> bytes: ...


class GzipError(ValueError):
    """The input starts like gzip but cannot be decompressed (corrupt, truncated, or followed by other data)."""


class GzipBombError(GzipError):
    """The input inflates far beyond what any CloudTrail file does (see ``MAX_INFLATE_RATIO``)."""


class InputReader:
    """Reads one input's decoded bytes: inflated when it is gzip, as stored otherwise.

    ``read(size)`` returns at most ``size`` bytes and fewer only at the end; it raises ``GzipError`` (or
    ``GzipBombError``) at the point the damage is met, and ``OSError`` when the underlying stream fails
    (the constructor reads the first chunk, to recognise gzip, and may raise it too).
    ``stats``, when given, has ``bytes_read`` (stored) and ``bytes_decoded`` advanced as bytes arrive.
    """

    def __init__(self, stream: Readable, stats: SourceStats | None = None) -> None:
        self._stream = stream
        self._stats = stats
        self.stored = 0  # stored bytes taken from the stream
        self.decoded = 0  # decoded bytes handed out
        self._ended = False  # the stream has said it has no more
        self._pending = self._read_stored(READ_CHUNK_BYTES)  # stored bytes not yet passed on or inflated
        self.opening = self._pending  # the first stored bytes, for a quarantine entry about the whole input
        self.gzipped = self._pending.startswith(GZIP_MAGIC)
        self._inflater = zlib.decompressobj(wbits=_GZIP_CONTAINER) if self.gzipped else None

    def read(self, size: int) -> bytes:
        """Up to ``size`` decoded bytes; fewer only at the end of the input, ``b""`` after it."""
        pieces: list[bytes] = []
        wanted = size
        while wanted > 0:
            piece = self._inflate(wanted) if self._inflater is not None else self._plain(wanted)
            if not piece:
                break
            pieces.append(piece)
            wanted -= len(piece)
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        self.decoded += len(data)
        if self._stats is not None:
            self._stats.bytes_decoded += len(data)
        if self.gzipped and self.decoded > MAX_DOCUMENT_BYTES:
            self._check_ratio()
        return data

    def _read_stored(self, size: int) -> bytes:
        if self._ended:
            return b""
        data = self._stream.read(size)
        if not data:
            self._ended = True
            return b""
        self.stored += len(data)
        if self._stats is not None:
            self._stats.bytes_read += len(data)
        return data

    def _plain(self, limit: int) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:limit], self._pending[limit:]
            return data
        return self._read_stored(limit)

    def _inflate(self, limit: int) -> bytes:
        inflater = self._inflater
        assert inflater is not None
        while True:
            if inflater.eof:
                inflater = self._next_member()
                if inflater is None:
                    return b""
            source = inflater.unconsumed_tail or self._pending or self._read_stored(READ_CHUNK_BYTES)
            self._pending = b""
            if not source:
                raise GzipError("truncated gzip data (unexpected end of input)")
            try:
                data = inflater.decompress(source, limit)
            except zlib.error as error:
                raise GzipError(f"corrupt gzip data ({error})") from None
            if data:
                return data

    def _next_member(self) -> zlib._Decompress | None:
        """After a member ends: the inflater of the next one, or None at the end of the input."""
        assert self._inflater is not None
        rest = self._inflater.unused_data
        while len(rest) < len(GZIP_MAGIC):
            more = self._read_stored(READ_CHUNK_BYTES)
            if not more:
                break
            rest += more
        if rest.startswith(GZIP_MAGIC):
            self._pending = rest
            self._inflater = zlib.decompressobj(wbits=_GZIP_CONTAINER)
            return self._inflater
        # The end, possibly after zero padding; anything else is trailing data, counted to say how much.
        trailing = len(rest)
        only_zeros = not rest.strip(b"\x00")
        while more := self._read_stored(READ_CHUNK_BYTES):
            trailing += len(more)
            only_zeros = only_zeros and not more.strip(b"\x00")
        if trailing and not only_zeros:
            raise GzipError(f"{trailing} bytes of trailing data after the gzip stream")
        self._inflater = None
        return None

    def _check_ratio(self) -> None:
        inflater = self._inflater
        waiting = len(self._pending) + (len(inflater.unconsumed_tail) if inflater is not None else 0)
        consumed = max(self.stored - waiting, 1)
        if self.decoded > MAX_INFLATE_RATIO * consumed:
            raise GzipBombError(
                f"{consumed:,} stored bytes inflated to more than {self.decoded:,} "
                f"(over {MAX_INFLATE_RATIO} times, past {MAX_DOCUMENT_BYTES // 2**20} MiB): a decompression bomb; "
                "CloudTrail's gzip files inflate about 10 to 20 times"
            )
