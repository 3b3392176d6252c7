"""The one optimistic-concurrency loop: re-read, re-plan and re-write on a conflict."""

import random
import time
from collections.abc import Callable
from typing import TypeVar

from segmentation.data.aws_errors import WriteConflict
from segmentation.errors import ConcurrentModification
from segmentation.settings import SETTINGS

Result = TypeVar("Result")
GAVE_UP = "the user's segments kept changing concurrently; retry the request"


def back_off(attempt: int) -> None:
    """Full jitter, capped: concurrent callers spread out instead of colliding again."""
    time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))


def retry_on_conflict(attempt_once: Callable[[], Result], gave_up: str = GAVE_UP) -> Result:
    """Runs `attempt_once` (which reads, plans and writes) until it commits without a
    WriteConflict; raises ConcurrentModification after SETTINGS.max_write_attempts."""
    for attempt in range(SETTINGS.max_write_attempts):
        try:
            return attempt_once()
        except WriteConflict:
            back_off(attempt)
    raise ConcurrentModification(gave_up)
