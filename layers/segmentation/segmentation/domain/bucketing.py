"""Deterministic bucketing of users for automatic (percentage) segments.

Each (segment salt, user id) pair hashes to one of 10,000 buckets (0.01% resolution);
a segment's share is stored as a whole number of buckets, and a user is in when their
bucket is below it. So raising the share only ever adds users (a ramp keeps everyone
who was in), and the answer is the same in every process, forever: SHA-256 from the
standard library, never Python's per-process salted `hash()`.
"""

import hashlib
import secrets
from decimal import Decimal

from segmentation.model import Segment

BUCKETS = 10_000
BUCKETS_PER_PERCENT = BUCKETS // 100
PERCENT_DECIMALS = 2
SALT_BYTES = 16


def user_bucket(salt: str, user_id: int) -> int:
    """The user's bucket in 0..9,999 for the segment with this salt. The ':' keeps
    ("a1", 2) and ("a", 12) apart. 64 bits modulo 10,000 leave a bias below 1e-15."""
    digest = hashlib.sha256(f"{salt}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_share(salt: str, user_id: int, percent_buckets: int) -> bool:
    return user_bucket(salt, user_id) < percent_buckets


def takes_by_share(segment: Segment, user_id: int) -> bool:
    """Whether the percentage alone puts this user in (stored memberships aside)."""
    return segment.is_automatic and in_share(segment.salt, user_id, segment.percent_buckets)


def new_salt() -> str:
    """Random per segment generation: segments are independent of each other, and a
    recreated slug reshuffles its users on purpose."""
    return secrets.token_hex(SALT_BYTES)


def has_at_most_two_decimals(percent: float | int) -> bool:
    if isinstance(percent, bool):
        return False
    # repr of a float is the shortest text that reads back as it: what the caller wrote.
    exponent = Decimal(repr(percent)).as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -PERCENT_DECIMALS


def percent_to_buckets(percent: float | int) -> int:
    """50 -> 5000, 0.01 -> 1; the percent has at most two decimals, so this is exact."""
    if not 0 <= percent <= 100 or not has_at_most_two_decimals(percent):
        raise ValueError(f"percent {percent!r} is not 0..100 with at most two decimals")
    return int(Decimal(repr(percent)) * BUCKETS_PER_PERCENT)


def buckets_to_percent(percent_buckets: int) -> float:
    return percent_buckets / BUCKETS_PER_PERCENT
