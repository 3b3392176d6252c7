"""A report job's files in the exports bucket: its pieces, and the one file they make.

Each piece is its own object (`reports/pieces/<job>/<index>`), written whole by the
worker that ran it, so a retried piece simply replaces its object. Assembly then writes
the pieces, in index order, as the parts of one multipart upload. S3 refuses parts under
5 MiB except the last, so a piece of 5 MiB or more is copied server-side (UploadPartCopy,
no bytes through Lambda) while smaller ones are gathered into a part of at least 5 MiB.
Nothing is visible at the file's key until CompleteMultipartUpload; a failure aborts.
"""

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from segmentation.data.exports import MIN_PART_BYTES, SPOOL_BYTES, s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

PIECES_PREFIX = "reports/pieces"


@dataclass(frozen=True)
class FileSpec:
    bucket: str
    key: str
    content_type: str
    content_disposition: str


def piece_prefix(job_id: str) -> str:
    return f"{PIECES_PREFIX}/{job_id}/"


def piece_key(job_id: str, index: int) -> str:
    return f"{piece_prefix(job_id)}{index:06d}"


def spooled_file() -> "tempfile.SpooledTemporaryFile[bytes]":
    """Where a piece is written before upload: memory first, then Lambda's /tmp."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


def put_piece(bucket: str, job_id: str, index: int, body: IO[bytes]) -> None:
    body.seek(0)
    s3_client().put_object(Bucket=bucket, Key=piece_key(job_id, index), Body=body)


def _pieces(bucket: str, job_id: str) -> Iterator[tuple[str, int]]:
    """(key, size) of the job's pieces in index order (S3 lists keys in UTF-8 order)."""
    paginator = s3_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=piece_prefix(job_id)):
        for entry in page.get("Contents", []):
            yield entry["Key"], entry["Size"]


class _Parts:
    """The multipart upload being assembled, numbering its parts in order."""

    def __init__(self, spec: FileSpec, upload_id: str) -> None:
        self.spec = spec
        self.upload_id = upload_id
        self.done: list[CompletedPartTypeDef] = []

    def _number(self) -> int:
        return len(self.done) + 1

    def copy(self, source_key: str) -> None:
        number = self._number()
        copied = s3_client().upload_part_copy(
            Bucket=self.spec.bucket,
            Key=self.spec.key,
            UploadId=self.upload_id,
            PartNumber=number,
            CopySource={"Bucket": self.spec.bucket, "Key": source_key},
        )
        self.done.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})

    def upload(self, body: IO[bytes]) -> None:
        number = self._number()
        body.seek(0)
        uploaded = s3_client().upload_part(
            Bucket=self.spec.bucket,
            Key=self.spec.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=body,
        )
        self.done.append({"PartNumber": number, "ETag": uploaded["ETag"]})


def assemble_pieces(spec: FileSpec, job_id: str, pieces: int) -> None:
    """Publishes the job's `pieces` piece objects, in order, as the one file `spec`."""
    found = list(_pieces(spec.bucket, job_id))
    if len(found) != pieces:
        raise RuntimeError(f"{len(found)} of {pieces} pieces are in the bucket")
    client = s3_client()
    created = client.create_multipart_upload(
        Bucket=spec.bucket,
        Key=spec.key,
        ContentType=spec.content_type,
        ContentDisposition=spec.content_disposition,
    )
    parts = _Parts(spec, created["UploadId"])
    gathered = spooled_file()
    try:
        for key, size in found:
            if size >= MIN_PART_BYTES and gathered.tell() == 0:
                parts.copy(key)
                continue
            gathered.write(client.get_object(Bucket=spec.bucket, Key=key)["Body"].read())
            if gathered.tell() >= MIN_PART_BYTES:
                parts.upload(gathered)
                gathered.close()
                gathered = spooled_file()
        if gathered.tell() or not parts.done:
            parts.upload(gathered)
        client.complete_multipart_upload(
            Bucket=spec.bucket,
            Key=spec.key,
            UploadId=parts.upload_id,
            MultipartUpload={"Parts": parts.done},
        )
    except BaseException:
        client.abort_multipart_upload(Bucket=spec.bucket, Key=spec.key, UploadId=parts.upload_id)
        raise
    finally:
        gathered.close()


def abort_uploads(bucket: str, key: str) -> int:
    """Aborts every unfinished upload to `key` (one a killed assembly left); returns how many."""
    client = s3_client()
    listed = client.list_multipart_uploads(Bucket=bucket, Prefix=key)
    uploads = [u for u in listed.get("Uploads", []) if u["Key"] == key]
    for upload in uploads:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
    return len(uploads)


def delete_pieces(bucket: str, job_id: str) -> None:
    keys = [key for key, _ in _pieces(bucket, job_id)]
    for start in range(0, len(keys), 1000):  # DeleteObjects takes up to 1,000 keys
        s3_client().delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True},
        )
