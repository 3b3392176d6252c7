"""Report files in the exports bucket: a streaming multipart upload and presigned links.

The part being written is spooled: its first `SPOOL_BYTES` in memory, the rest in a
temporary file (Lambda's /tmp), which botocore then streams. So memory stays flat however
large the file grows, and parts can be S3-sized (5 MiB and up). A file smaller than one
part is a single PutObject. Any failure aborts the multipart upload, so a partial file
is never visible and no parts are left billed.
"""

import tempfile
from functools import cache
from types import TracebackType
from typing import TYPE_CHECKING, Self

import boto3

from segmentation.data.aws_timeouts import budgeted_config
from segmentation.settings import SETTINGS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

# S3 refuses parts under 5 MiB, except the last one.
MIN_PART_BYTES = 5 * 1024 * 1024
# What a part keeps in memory before it spills to disk.
SPOOL_BYTES = 256 * 1024


@cache
def s3_client() -> "S3Client":
    """One client per container, made on first use (endpoint from AWS_ENDPOINT_URL*)."""
    config = budgeted_config(signature_version="s3v4")
    return boto3.client("s3", region_name=SETTINGS.region, config=config)


class MultipartFile:
    """A write-only S3 object: `write` bytes, then leave the `with` block to publish it.

    Leaving the block by an exception aborts the upload instead.
    """

    def __init__(
        self,
        bucket: str,
        key: str,
        content_type: str,
        content_disposition: str,
        part_bytes: int = SETTINGS.export_part_bytes,
        client: "S3Client | None" = None,
    ) -> None:
        if part_bytes < MIN_PART_BYTES:
            raise ValueError(f"part size {part_bytes} is under S3's minimum of {MIN_PART_BYTES}")
        self.bucket = bucket
        self.key = key
        self._content_type = content_type
        self._content_disposition = content_disposition
        self._part_bytes = part_bytes
        self._client = client or s3_client()
        self._part = self._new_part()
        self._part_size = 0
        self._upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []
        self.bytes_written = 0

    @property
    def parts_uploaded(self) -> int:
        return len(self._parts)

    def write(self, data: bytes) -> None:
        self._part.write(data)
        self._part_size += len(data)
        self.bytes_written += len(data)
        if self._part_size >= self._part_bytes:
            self._upload_part()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None:
            self._publish()
        else:
            self.abort()

    def abort(self) -> None:
        self._part.close()
        if self._upload_id is not None:
            self._client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id
            )
            self._upload_id = None

    @staticmethod
    def _new_part() -> "tempfile.SpooledTemporaryFile[bytes]":
        return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)

    def _rewound_part(self) -> "tempfile.SpooledTemporaryFile[bytes]":
        self._part.seek(0)
        return self._part

    def _upload_part(self) -> None:
        if self._upload_id is None:
            created = self._client.create_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                ContentType=self._content_type,
                ContentDisposition=self._content_disposition,
            )
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        uploaded = self._client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=self._rewound_part(),
        )
        self._parts.append({"PartNumber": number, "ETag": uploaded["ETag"]})
        self._part.close()
        self._part = self._new_part()
        self._part_size = 0

    def _publish(self) -> None:
        try:
            if self._upload_id is None:
                self._client.put_object(
                    Bucket=self.bucket,
                    Key=self.key,
                    Body=self._rewound_part(),
                    ContentType=self._content_type,
                    ContentDisposition=self._content_disposition,
                )
                return
            if self._part_size:
                self._upload_part()
            self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
            self._upload_id = None
        except BaseException:
            self.abort()
            raise
        finally:
            self._part.close()


def presigned_get_url(bucket: str, key: str, seconds: int) -> str:
    return s3_client().generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=seconds
    )
