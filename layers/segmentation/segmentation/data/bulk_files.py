"""A bulk job's uploaded file of user ids in the exports bucket (`bulk/uploads/<job>`):
the presigned link to PUT it, and its lines streamed from a byte offset, so a split task
never holds the file in memory and a later task goes on where the last one stopped."""

from collections.abc import Iterator
from dataclasses import dataclass

from botocore.exceptions import ClientError

from segmentation.data.exports import s3_client
from segmentation.data.keys import bulk_upload_key

CHUNK_BYTES = 1024 * 1024
# A line longer than this is no user id (nor a CSV row starting with one): it is reported
# as invalid and skipped without being held whole.
MAX_LINE_BYTES = 1024


@dataclass(frozen=True)
class FileLine:
    end: int  # the byte offset just after the line (where a later task goes on)
    text: bytes | None  # None: longer than MAX_LINE_BYTES


def presigned_put_url(bucket: str, job_id: str, seconds: int) -> str:
    return s3_client().generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": bulk_upload_key(job_id)}, ExpiresIn=seconds
    )


def file_lines(bucket: str, job_id: str, offset: int, etag: str) -> Iterator[FileLine]:
    """The file's lines from byte `offset` on (without their line ends). Reading a newer
    version of the file than `etag` fails (S3 answers 412)."""
    arguments = {"Bucket": bucket, "Key": bulk_upload_key(job_id), "IfMatch": etag}
    if offset:
        arguments["Range"] = f"bytes={offset}-"
    try:
        body = s3_client().get_object(**arguments)["Body"]  # type: ignore[arg-type]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "InvalidRange":
            return  # the offset is the end of the file: nothing is left
        raise
    pending = b""
    too_long = False
    position = offset
    for chunk in body.iter_chunks(CHUNK_BYTES):
        pending += chunk
        while (newline := pending.find(b"\n")) >= 0:
            position += newline + 1
            long = too_long or newline > MAX_LINE_BYTES
            yield FileLine(position, None if long else pending[:newline])
            pending, too_long = pending[newline + 1 :], False
        if len(pending) > MAX_LINE_BYTES:  # keep counting bytes, drop the rest of the line
            position += len(pending)
            pending, too_long = b"", True
    if pending or too_long:
        long = too_long or len(pending) > MAX_LINE_BYTES
        yield FileLine(position + len(pending), None if long else pending)
