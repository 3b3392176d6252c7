"""Assembling a job's pieces into one file on moto: S3's 5 MiB part minimum is met
by copying large pieces server-side and gathering small ones, always in piece order."""

import io

import pytest

from segmentation.data.exports import MIN_PART_BYTES, s3_client
from segmentation.data.report_files import (
    FileSpec,
    assemble_pieces,
    delete_pieces,
    plan_parts,
    put_piece,
)
from tests.support.exports import BUCKET, objects, open_uploads

pytestmark = pytest.mark.usefixtures("exports_bucket")

MIB = 1024 * 1024


def test_parts_are_at_least_5_mib_except_the_last_and_keep_piece_order() -> None:
    sizes = {"a": 6 * MIB, "b": 1, "c": 3 * MIB, "d": 2 * MIB, "e": 7 * MIB, "f": 10}
    parts = plan_parts(list(sizes.items()))
    assert parts == [["a"], ["b", "c", "d"], ["e"], ["f"]]
    assert [key for part in parts for key in part] == list(sizes)
    assert all(sum(sizes[k] for k in part) >= MIN_PART_BYTES for part in parts[:-1])
    assert plan_parts([]) == [[]]  # nothing at all is still one (empty) part
    assert plan_parts([("x", 5)]) == [["x"]]


def test_pieces_of_any_size_become_one_file_in_order() -> None:
    sizes = [6 * MIB, 1000, 3 * MIB, 2 * MIB + 5, 5 * MIB, 17]
    bodies = [bytes([65 + n]) * size for n, size in enumerate(sizes)]
    for index, body in enumerate(bodies):
        put_piece(BUCKET, "job1", index, io.BytesIO(body))
    spec = FileSpec(BUCKET, "reports/open/job1/r.csv", "text/csv", 'attachment; filename="r.csv"')
    assemble_pieces(spec, "job1", len(bodies))
    stored = s3_client().get_object(Bucket=BUCKET, Key=spec.key)
    assert stored["Body"].read() == b"".join(bodies)
    assert stored["ETag"].endswith('-4"')  # 6 MiB | 1000 B + 3 MiB + 2 MiB | 5 MiB | 17 B
    assert stored["ContentType"] == "text/csv"
    assert open_uploads() == []
    delete_pieces(BUCKET, "job1")
    assert objects() == [spec.key]


def test_a_missing_piece_publishes_nothing() -> None:
    put_piece(BUCKET, "job2", 0, io.BytesIO(b"header\r\n"))
    spec = FileSpec(BUCKET, "reports/open/job2/r.csv", "text/csv", "attachment")
    with pytest.raises(RuntimeError, match="1 of 2 pieces"):
        assemble_pieces(spec, "job2", 2)
    assert spec.key not in objects()
    assert open_uploads() == []
