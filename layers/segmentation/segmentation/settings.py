"""Configuration read from the Lambda environment (template.yaml sets every variable)."""

import os
from dataclasses import dataclass


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


@dataclass(frozen=True)
class Settings:
    table_name: str
    history_table_name: str
    region: str | None
    # Each slug costs up to four transaction items (segment check, membership, its history
    # row, and the DELETE row of an expiry not yet cleaned up): 24 slugs plus the user's
    # profile item stay under DynamoDB's 100-item transaction cap.
    max_slugs_per_request: int
    max_body_bytes: int
    # How long a container trusts its cached segment list on the read path.
    segment_cache_seconds: float
    history_shards: int
    max_write_attempts: int
    # Monthly history export: target bucket, presigned link lifetime, multipart part size.
    exports_bucket: str
    export_url_seconds: int
    export_part_bytes: int
    # Maintenance (expiries, deleted segments' members): memberships per transaction (each
    # costs up to three items: membership, history row, segment check), the time a run
    # keeps in reserve before its Lambda timeout, and how long a deleted segment's
    # tombstone outlives its last member (the members GSI is eventually consistent).
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


def load_settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "SegmentsTable"),
        history_table_name=os.environ.get("HISTORY_TABLE_NAME", "HistoryTable"),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        max_slugs_per_request=_int_env("MAX_SLUGS_PER_REQUEST", 24),
        max_body_bytes=_int_env("MAX_BODY_BYTES", 64 * 1024),
        segment_cache_seconds=float(os.environ.get("SEGMENT_CACHE_SECONDS", "5")),
        history_shards=_int_env("HISTORY_SHARDS", 16),
        max_write_attempts=_int_env("MAX_WRITE_ATTEMPTS", 10),
        exports_bucket=os.environ.get("EXPORTS_BUCKET", "segmentation-exports"),
        export_url_seconds=_int_env("EXPORT_URL_SECONDS", 900),
        export_part_bytes=_int_env("EXPORT_PART_BYTES", 8 * 1024 * 1024),
        maintenance_batch_size=_int_env("MAINTENANCE_BATCH_SIZE", 25),
        maintenance_reserve_ms=_int_env("MAINTENANCE_RESERVE_MS", 5000),
        tombstone_grace_seconds=_int_env("TOMBSTONE_GRACE_SECONDS", 60),
        reports_queue_url=os.environ.get(
            "REPORTS_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/ReportsQueue"
        ),
        report_window_hours=_int_env("REPORT_WINDOW_HOURS", 6),
        closed_report_days=_int_env("CLOSED_REPORT_DAYS", 400),
        export_retention_days=_int_env("EXPORT_RETENTION_DAYS", 7),
        sync_report_budget_seconds=float(os.environ.get("SYNC_REPORT_BUDGET_SECONDS", "20")),
        history_grace_seconds=_int_env("HISTORY_GRACE_SECONDS", 300),
    )


SETTINGS = load_settings()
