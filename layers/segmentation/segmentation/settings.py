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
    # Each slug costs three transaction items (segment check, membership, history row);
    # 30 slugs plus the user's profile item stay under DynamoDB's 100-item transaction cap.
    max_slugs_per_request: int
    max_body_bytes: int
    # How long a container trusts its cached segment list on the read path.
    segment_cache_seconds: float
    history_shards: int
    max_write_attempts: int


def load_settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "SegmentsTable"),
        history_table_name=os.environ.get("HISTORY_TABLE_NAME", "HistoryTable"),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        max_slugs_per_request=_int_env("MAX_SLUGS_PER_REQUEST", 30),
        max_body_bytes=_int_env("MAX_BODY_BYTES", 64 * 1024),
        segment_cache_seconds=float(os.environ.get("SEGMENT_CACHE_SECONDS", "5")),
        history_shards=_int_env("HISTORY_SHARDS", 16),
        max_write_attempts=_int_env("MAX_WRITE_ATTEMPTS", 10),
    )


SETTINGS = load_settings()
