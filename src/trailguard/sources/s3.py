"""CloudTrail from S3: ``s3://BUCKET`` or ``s3://BUCKET/PREFIX``.

Every object whose key starts with PREFIX (a plain key prefix, not necessarily a folder: ``.../2026/11/2``
takes the 20th to 29th) is read in key order and decoded exactly like a local file (gzip or not, any of
the accepted JSON shapes). Folder markers (keys ending in ``/``) are ignored; digest files and hidden
names are skipped and counted, as in folders. Each event's origin is ``s3://BUCKET/KEY``.

A bucket that cannot be listed, or a prefix with no objects at all, is a ``SourceError`` (the S3 form of a
missing path); an object that cannot be fetched is quarantined and the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from trailguard.sources.aws import AwsOptions, aws_error_text
from trailguard.sources.decode import decode_input, is_skipped_name
from trailguard.sources.errors import SourceError
from trailguard.sources.events import InputTotals, SourceEvent, SourceStats
from trailguard.sources.quarantine import Quarantine, QuarantineReason

if TYPE_CHECKING:
    from trailguard.sources.fastfeed import InputDecoder, SourceItem

__all__ = [
    "S3_SCHEME",
    "S3Location",
    "S3Object",
    "list_keys",
    "list_objects",
    "measure_s3",
    "parse_s3_url",
    "read_object",
    "read_objects",
    "read_s3",
    "read_s3_items",
]

S3_SCHEME: Final = "s3://"


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    prefix: str

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}"


@dataclass(frozen=True, slots=True)
class S3Object:
    key: str
    size: int
    skip: bool  # a digest file or a hidden name: not an event file


def parse_s3_url(source: str) -> S3Location:
    """``s3://bucket/prefix`` → its parts; ``SourceError`` if there is no bucket name."""
    if not source.startswith(S3_SCHEME):
        raise SourceError(f"{source}: not an s3:// URL")
    bucket, _, prefix = source[len(S3_SCHEME) :].partition("/")
    if not bucket:
        raise SourceError(f"{source}: no bucket name (expected s3://BUCKET or s3://BUCKET/PREFIX)")
    return S3Location(bucket, prefix)


def read_s3(
    source: str,
    quarantine: Quarantine,
    *,
    aws: AwsOptions | None = None,
    require_event_time: bool = True,
    stats: SourceStats | None = None,
    page_size: int | None = None,
) -> Iterator[SourceEvent]:
    """Events from every object under an ``s3://`` URL, in key order. The URL is checked now; S3 is first
    called when iteration starts (listing errors then raise ``SourceError``). ``page_size``: see
    ``list_objects``."""
    location = parse_s3_url(source)
    items = read_s3_items(location, quarantine, aws or AwsOptions(), require_event_time, stats, page_size, None)
    return cast("Iterator[SourceEvent]", items)  # decode_input gives SourceEvent only


def read_s3_items(
    location: S3Location,
    quarantine: Quarantine,
    aws: AwsOptions,
    require_event_time: bool,
    stats: SourceStats | None,
    page_size: int | None,
    decoder: InputDecoder | None,
) -> Iterator[SourceItem]:
    """``read_s3`` with a ``decoder`` (see ``read_objects``)."""
    client = aws.client("s3")
    objects = list_objects(client, location, page_size=page_size)
    yield from read_objects(
        client,
        location.bucket,
        objects,
        quarantine,
        require_event_time=require_event_time,
        stats=stats,
        decoder=decoder,
    )


def read_objects(
    client: Any,
    bucket: str,
    objects: Iterable[S3Object],
    quarantine: Quarantine,
    *,
    require_event_time: bool = True,
    stats: SourceStats | None = None,
    decoder: InputDecoder | None = None,
) -> Iterator[SourceItem]:
    """The events of listed objects of ``bucket`` (all of them, or a chunk of them), in the order given.
    ``decoder`` reads each object instead of ``decode_input`` (a ``FastReader``'s, which also gives
    ``QuietEvents``)."""
    decode = decoder or decode_input
    for item in objects:
        if item.skip:
            if stats is not None:
                stats.files_skipped += 1
            continue
        yield from _read_object(client, bucket, item.key, quarantine, require_event_time, stats, decode)


def read_object(
    client: Any,
    bucket: str,
    key: str,
    quarantine: Quarantine,
    require_event_time: bool = True,
    stats: SourceStats | None = None,
) -> Iterator[SourceEvent]:
    """Events of one object, decoded exactly like a local file (its origin is ``s3://BUCKET/KEY``); an object
    that cannot be fetched is quarantined."""
    items = _read_object(client, bucket, key, quarantine, require_event_time, stats, decode_input)
    return cast("Iterator[SourceEvent]", items)  # decode_input gives SourceEvent only


def _read_object(
    client: Any,
    bucket: str,
    key: str,
    quarantine: Quarantine,
    require_event_time: bool,
    stats: SourceStats | None,
    decode: InputDecoder,
) -> Iterator[SourceItem]:
    origin = f"{S3_SCHEME}{bucket}/{key}"
    body = _open(client, bucket, key, origin, quarantine)
    if body is None:
        return
    try:
        yield from decode(_OSErrorBody(body), origin, quarantine, require_event_time=require_event_time, stats=stats)
    finally:
        body.close()


def list_objects(client: Any, location: S3Location, *, page_size: int | None = None) -> list[S3Object]:
    """Every object under the location, sorted by key, following every page (``page_size`` keys a page;
    S3's default and maximum is 1,000). No object at all is a ``SourceError``."""
    objects = list_keys(client, location, page_size=page_size)
    if not objects:
        raise SourceError(f"{location}: no objects under this prefix")
    return objects


def list_keys(
    client: Any, location: S3Location, *, start_after: str | None = None, page_size: int | None = None
) -> list[S3Object]:
    """The objects under the location (after ``start_after`` in key order, when given), sorted by key; folder
    markers left out. A listing that fails is a ``SourceError``."""
    import botocore.exceptions

    objects: list[S3Object] = []
    paging = {} if page_size is None else {"PageSize": page_size}
    request: dict[str, Any] = {"Bucket": location.bucket, "Prefix": location.prefix, "PaginationConfig": paging}
    if start_after is not None:
        request["StartAfter"] = start_after
    try:
        for page in client.get_paginator("list_objects_v2").paginate(**request):
            for entry in page.get("Contents", ()):
                key: str = entry["Key"]
                if key.endswith("/"):
                    continue  # a console-made "folder": no content
                objects.append(S3Object(key, entry["Size"], is_skipped_name(key.rsplit("/", 1)[-1])))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise SourceError(f"{location}: cannot list objects: {aws_error_text(error)}") from None
    # S3 lists general purpose buckets in key order already; directory buckets do not promise it.
    objects.sort(key=lambda item: item.key)
    return objects


def measure_s3(source: str, aws: AwsOptions | None = None) -> InputTotals:
    """Objects and stored bytes under an ``s3://`` URL (one listing, no downloads)."""
    location = parse_s3_url(source)
    objects = list_objects((aws or AwsOptions()).client("s3"), location)
    readable = [item for item in objects if not item.skip]
    return InputTotals(
        files=len(readable),
        bytes=sum(item.size for item in readable),
        skipped=len(objects) - len(readable),
        complete=True,
    )


def _open(client: Any, bucket: str, key: str, origin: str, quarantine: Quarantine) -> Any:
    """The object's streaming body (read in bounded pieces, like a file), or None when it cannot be fetched."""
    import botocore.exceptions

    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        quarantine.add(origin, None, QuarantineReason.UNREADABLE, None, aws_error_text(error))
        return None


class _OSErrorBody:
    """An S3 streaming body whose failures mid-way (a reset connection, a short body) are ``OSError``, as a
    file's are, so that decoding quarantines them like any read error."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def read(self, size: int, /) -> bytes:
        import botocore.exceptions

        try:
            data: bytes = self._body.read(size)
        except (botocore.exceptions.BotoCoreError, ValueError) as error:
            raise OSError(aws_error_text(error)) from None
        return data
