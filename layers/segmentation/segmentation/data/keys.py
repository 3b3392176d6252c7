"""Every key the service stores under, and the shard counts that keep each key cool.

Only this module builds keys. The shard counts come from the capacity model (docs/benchmarks.md,
"Capacity at the target workload"): at 30,000 index writes/s into one segment and one
month (a rollout of an automatic segment plus manual adds), each shard key stays under
half of DynamoDB's 1,000 WCU/s per partition key. Readers (export, cleanup, expiry,
catalogue reload) query every shard. A count may grow on a deployed stack (a reader of
shards 0..N-1 still finds rows written with fewer) but never shrink.
"""

import hashlib
import uuid

from segmentation.settings import SETTINGS

# Memberships of one segment generation, spread by user: `members_by_segment`.
MEMBER_SHARDS = 128
# Memberships with an expiry, spread by user and slug: `memberships_by_expiry`.
EXPIRY_SHARDS = 32
# The active segments, spread by slug: a reload reads all of them.
CATALOGUE_SHARDS = 8
# One segment generation's member count, spread by stream shard (docs/members.md): a read
# sums them all.
COUNT_SHARDS = 16

USER_PREFIX = "USER#"
PROFILE_SORT_KEY = "PROFILE"
MEMBERSHIP_PREFIX = "SEG#"
DELETIONS_PARTITION = "SEGMENT_DELETIONS"
COUNTER_PARTITION = "COUNTER"
CATALOGUE_VERSION_PARTITION = "CATALOGUE"
CATALOGUE_VERSION_SORT_KEY = "VERSION"
CATALOGUE_LOG_PARTITION = "CATALOGUE_LOG"
REPORT_JOB_PREFIX = "REPORT#"
REPORT_JOB_SORT_KEY = "JOB"
# One item: every history event stamped before its value is written.
HISTORY_WATERMARK_KEY = ("HISTORY_WATERMARK", "FINAL_BEFORE")


def stable_shard(text: str, shards: int) -> int:
    """The same shard in every process, forever (never Python's salted `hash`), and
    uniform whatever pattern callers' ids follow."""
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def user_partition(user_id: int) -> str:
    return f"{USER_PREFIX}{user_id}"


def membership_sort_key(slug: str, segment_id: int) -> str:
    return f"{MEMBERSHIP_PREFIX}{slug}#{segment_id}"


def member_index_key(segment_id: int, user_id: int) -> str:
    return f"SEGID#{segment_id}#{stable_shard(str(user_id), MEMBER_SHARDS):03d}"


def member_index_keys(segment_id: int) -> list[str]:
    return [f"SEGID#{segment_id}#{shard:03d}" for shard in range(MEMBER_SHARDS)]


def segment_count_partition(segment_id: int, shard: int) -> str:
    return f"SEGCOUNT#{segment_id}#{shard:02d}"


def segment_count_partitions(segment_id: int) -> list[str]:
    return [segment_count_partition(segment_id, shard) for shard in range(COUNT_SHARDS)]


def segment_count_shard(batch_chunk: str) -> int:
    """The counter shard one chunk of a stream batch adds to: batches of stream shards
    running in parallel rarely write the same counter item (a transaction conflict), and
    no key takes every batch's write."""
    return stable_shard(batch_chunk, COUNT_SHARDS)


SEGMENT_COUNT_SORT_KEY = "COUNT"


def count_batch_partition(batch_id: str) -> str:
    """A stream batch's markers: `<stream label>#<first>-<last sequence number>`."""
    return f"COUNTBATCH#{batch_id}"


def count_batch_sort_key(chunk: int) -> str:
    return f"{chunk:04d}"


def expiry_index_key(user_id: int, slug: str) -> str:
    return f"EXP#{stable_shard(f'{user_id}:{slug}', EXPIRY_SHARDS):02d}"


EXPIRY_INDEX_KEYS = [f"EXP#{shard:02d}" for shard in range(EXPIRY_SHARDS)]


def catalogue_partition(slug: str) -> str:
    return f"SEGMENTS#{stable_shard(slug, CATALOGUE_SHARDS)}"


CATALOGUE_PARTITIONS = [f"SEGMENTS#{shard}" for shard in range(CATALOGUE_SHARDS)]


def catalogue_log_sort_key(version: int) -> str:
    return f"{version:012d}"


def report_job_key(job_id: str) -> tuple[str, str]:
    return f"{REPORT_JOB_PREFIX}{job_id}", REPORT_JOB_SORT_KEY


def report_job_id(partition: str) -> str:
    return partition.removeprefix(REPORT_JOB_PREFIX)


def deletion_sort_key(segment_id: int) -> str:
    return f"{segment_id:020d}"


def history_shard(user_id: int, slug: str, shards: int = SETTINGS.history_shards) -> int:
    """A stable shard per (user, slug): a busy month spreads over `shards` partitions."""
    return stable_shard(f"{user_id}:{slug}", shards)


def history_month_partition(at: str, shard: int) -> str:
    """`history_by_month` partition of a timestamp's (or a "YYYY-MM" prefix's) month."""
    return f"{at[:7]}#{shard:03d}"


def history_event_key(at: str, slug: str, segment_id: int) -> str:
    return f"{at}#{slug}#{segment_id}"


def history_month_order(at: str, user_id: int, slug: str) -> str:
    return f"{at}#{user_id:019d}#{slug}"


BULK_JOB_PREFIX = "BULK#"
BULK_JOB_SORT_KEY = "JOB"


def bulk_job_key(job_id: str) -> tuple[str, str]:
    return f"{BULK_JOB_PREFIX}{job_id}", BULK_JOB_SORT_KEY


def bulk_batch_key(job_id: str, batch: int) -> tuple[str, str]:
    """A bulk job's done-marker of one batch: in the job's partition, written once."""
    return f"{BULK_JOB_PREFIX}{job_id}", f"BATCH#{batch:08d}"


# A worker marks up to ~530 users/s (8 threads, 15 ms per transaction) at 2 WCU each:
# over one key's 1,000 WCU/s, so a batch's markers spread over shards by user.
BULK_MARKER_SHARDS = 8


def bulk_change_partition(job_id: str, batch: int, user_id: int) -> str:
    """Where a batch marks a user it changed: the batch's partitions, written only by the
    worker running that batch, spread by user."""
    shard = stable_shard(str(user_id), BULK_MARKER_SHARDS)
    return f"{BULK_JOB_PREFIX}{job_id}#{batch:08d}#{shard}"


def bulk_change_partitions(job_id: str, batch: int) -> list[str]:
    return [f"{BULK_JOB_PREFIX}{job_id}#{batch:08d}#{s}" for s in range(BULK_MARKER_SHARDS)]


def bulk_change_sort_key(user_id: int) -> str:
    return f"{USER_PREFIX}{user_id}"


BULK_UPLOAD_PREFIX = "bulk/uploads/"


def bulk_upload_key(job_id: str) -> str:
    return f"{BULK_UPLOAD_PREFIX}{job_id}"


def bulk_job_of_upload(key: str) -> str | None:
    """The job id of an upload's object key; None for any other key."""
    job_id = key.removeprefix(BULK_UPLOAD_PREFIX)
    return job_id if key.startswith(BULK_UPLOAD_PREFIX) and job_id.isalnum() else None


# --- S3 object keys (the exports bucket) ---------------------------------------------


def export_object_key(month: str, filename: str) -> str:
    """Unique per call: two exports of the same month never overwrite each other's file."""
    return f"history/{month}/{uuid.uuid4().hex}/{filename}"


def report_object_key(closed: bool, job_id: str, filename: str) -> str:
    """Closed and open months live under their own prefixes, which the bucket's lifecycle
    rules keep for different times."""
    return f"reports/{'closed' if closed else 'open'}/{job_id}/{filename}"


def piece_prefix(job_id: str) -> str:
    return f"reports/pieces/{job_id}/"


def piece_key(job_id: str, index: int) -> str:
    return f"{piece_prefix(job_id)}{index:06d}"
