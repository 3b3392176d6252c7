"""Atomic id counters: one UpdateItem hands out a number no other call gets."""

from segmentation.data.keys import COUNTER_PARTITION
from segmentation.data.models import CounterItem


def next_counter_value(name: str, step: int = 1) -> int:
    """Reserves `step` consecutive values and returns the last of them."""
    counter = CounterItem(COUNTER_PARTITION, name)
    counter.update(actions=[CounterItem.value.add(step)])
    return int(counter.value)
