"""Configuration read from the Lambda environment (template.yaml sets every variable).

Every number is checked against its documented range when the container starts: a bad
value fails the function's init with a message naming the variable, instead of
misbehaving later (a batch over DynamoDB's transaction cap, a grace period shorter than
a write can take).
"""

import os
from dataclasses import dataclass, fields

# API Gateway ends every request after 30 s, so no API write lands later than this after
# it was planned; the deletion grace period must outlast it (see tombstone_grace_seconds).
MAX_API_REQUEST_SECONDS = 30
CLOCK_SKEW_MARGIN_SECONDS = 5


class SettingsError(ValueError):
    """An environment variable is outside its documented range."""


def _int_env(name: str, default: int) -> int:
    text = os.environ.get(name, str(default))
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {text!r}") from None


def _float_env(name: str, default: float) -> float:
    text = os.environ.get(name, str(default))
    try:
        return float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {text!r}") from None


@dataclass(frozen=True)
class Settings:
    table_name: str
    history_table_name: str
    region: str | None
    # Each slug costs up to three transaction items (membership, its history row, and the
    # DELETE row of an expiry not yet cleaned up): 24 slugs plus the user's profile item
    # stay far under DynamoDB's 100-item transaction cap.
    max_slugs_per_request: int
    max_body_bytes: int
    # How long a container trusts its cached segment list before asking the catalogue
    # log for changes.
    segment_cache_seconds: float
    history_shards: int
    max_write_attempts: int
    # Monthly history export: target bucket, presigned link lifetime, multipart part size.
    exports_bucket: str
    export_url_seconds: int
    export_part_bytes: int
    # Maintenance (expiries, deleted segments' members): memberships per transaction (each
    # costs up to two items: membership and history row), the time a run keeps in reserve
    # before its Lambda timeout, and the deletion grace period: how long after a deletion
    # its slug stays reserved and its tombstone stays to catch late writes.
    maintenance_batch_size: int
    maintenance_reserve_ms: int
    tombstone_grace_seconds: int
    # Report jobs (domain/report_jobs.py): their queue, the time window of one piece, how
    # long closed months' files are kept, the synchronous report's time budget and how
    # long after an event's time the watermark still waits for it to be written.
    reports_queue_url: str
    report_window_hours: int
    closed_report_days: int
    export_retention_days: int
    sync_report_budget_seconds: float
    history_grace_seconds: int
    # Bulk membership jobs (domain/bulk_jobs.py): their queue, users per batch message,
    # concurrent user transitions in one worker, and file lines one split task reads.
    bulk_queue_url: str
    bulk_batch_size: int
    bulk_write_threads: int
    bulk_split_lines: int


# (inclusive) ranges of the numeric settings, by environment variable.
LIMITS: dict[str, tuple[float, float]] = {
    "MAX_SLUGS_PER_REQUEST": (1, 24),
    "MAX_BODY_BYTES": (1024, 1024 * 1024),
    "SEGMENT_CACHE_SECONDS": (0, 60),
    "HISTORY_SHARDS": (1, 1000),
    "MAX_WRITE_ATTEMPTS": (1, 20),
    "EXPORT_URL_SECONDS": (1, 7 * 24 * 3600),
    "EXPORT_PART_BYTES": (5 * 1024 * 1024, 5 * 1024 * 1024 * 1024),
    "MAINTENANCE_BATCH_SIZE": (1, 50),
    "MAINTENANCE_RESERVE_MS": (1000, 30_000),  # of the maintenance function's 55 s
    "TOMBSTONE_GRACE_SECONDS": (0, 24 * 3600),
    "REPORT_WINDOW_HOURS": (1, 744),
    "CLOSED_REPORT_DAYS": (1, 3650),
    "EXPORT_RETENTION_DAYS": (1, 3650),
    "SYNC_REPORT_BUDGET_SECONDS": (1, 28),
    "HISTORY_GRACE_SECONDS": (60, 24 * 3600),
    "BULK_BATCH_SIZE": (1, 1000),  # 1,000 ids of 19 digits stay far under SQS's 256 KiB
    "BULK_WRITE_THREADS": (1, 64),
    "BULK_SPLIT_LINES": (1, 10_000_000),
}


def _env_name(field_name: str) -> str:
    return field_name.upper()


def validate(settings: Settings) -> Settings:
    for field in fields(settings):
        name = _env_name(field.name)
        if name not in LIMITS:
            continue
        low, high = LIMITS[name]
        value = getattr(settings, field.name)
        if not low <= value <= high:
            raise SettingsError(f"{name} must be {low:g}..{high:g}, got {value:g}")
    least_grace = settings.segment_cache_seconds + MAX_API_REQUEST_SECONDS
    if settings.tombstone_grace_seconds < least_grace + CLOCK_SKEW_MARGIN_SECONDS:
        raise SettingsError(
            f"TOMBSTONE_GRACE_SECONDS must be at least SEGMENT_CACHE_SECONDS +"
            f" {MAX_API_REQUEST_SECONDS} + {CLOCK_SKEW_MARGIN_SECONDS} (the longest a write"
            f" planned before a deletion can take to land), got {settings.tombstone_grace_seconds}"
        )
    return settings


def load_settings() -> Settings:
    return validate(
        Settings(
            table_name=os.environ.get("TABLE_NAME", "SegmentsTable"),
            history_table_name=os.environ.get("HISTORY_TABLE_NAME", "HistoryTable"),
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
            max_slugs_per_request=_int_env("MAX_SLUGS_PER_REQUEST", 24),
            max_body_bytes=_int_env("MAX_BODY_BYTES", 64 * 1024),
            segment_cache_seconds=_float_env("SEGMENT_CACHE_SECONDS", 5),
            history_shards=_int_env("HISTORY_SHARDS", 128),
            max_write_attempts=_int_env("MAX_WRITE_ATTEMPTS", 10),
            exports_bucket=os.environ.get("EXPORTS_BUCKET", "segmentation-exports"),
            export_url_seconds=_int_env("EXPORT_URL_SECONDS", 900),
            export_part_bytes=_int_env("EXPORT_PART_BYTES", 8 * 1024 * 1024),
            maintenance_batch_size=_int_env("MAINTENANCE_BATCH_SIZE", 25),
            maintenance_reserve_ms=_int_env("MAINTENANCE_RESERVE_MS", 5000),
            tombstone_grace_seconds=_int_env("TOMBSTONE_GRACE_SECONDS", 60),
            reports_queue_url=os.environ.get(
                "REPORTS_QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/123456789012/ReportsQueue",
            ),
            report_window_hours=_int_env("REPORT_WINDOW_HOURS", 6),
            closed_report_days=_int_env("CLOSED_REPORT_DAYS", 400),
            export_retention_days=_int_env("EXPORT_RETENTION_DAYS", 7),
            sync_report_budget_seconds=_float_env("SYNC_REPORT_BUDGET_SECONDS", 20),
            history_grace_seconds=_int_env("HISTORY_GRACE_SECONDS", 300),
            bulk_queue_url=os.environ.get(
                "BULK_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/BulkQueue"
            ),
            bulk_batch_size=_int_env("BULK_BATCH_SIZE", 500),
            bulk_write_threads=_int_env("BULK_WRITE_THREADS", 8),
            bulk_split_lines=_int_env("BULK_SPLIT_LINES", 2_000_000),
        )
    )


SETTINGS = load_settings()
