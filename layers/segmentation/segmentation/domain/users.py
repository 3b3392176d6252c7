"""Minting user ids."""

from segmentation.clock import format_timestamp, utc_now
from segmentation.data.counters import next_counter_value
from segmentation.data.users import claim_user_id

USER_ID_COUNTER = "user_id"


def register_user() -> int:
    """The next id that no call has used. Callers may have used ids of their own, so each
    candidate is claimed conditionally; after a collision the counter jumps ahead by a
    doubling step, so a long run of used ids costs a logarithmic number of tries."""
    now = format_timestamp(utc_now())
    step = 1
    while True:
        candidate = next_counter_value(USER_ID_COUNTER, step)
        if claim_user_id(candidate, now):
            return candidate
        step *= 2
