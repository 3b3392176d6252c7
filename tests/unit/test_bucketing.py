"""Bucketing of users into automatic segments: pinned, stable, fair, independent, monotonic.

Every statistical check runs on a fixed set of ids and fixed salts, so it is
deterministic: it cannot flake, and it fails only if the hashing changes."""

import itertools
import math
import os
import random
import subprocess
import sys
from collections import Counter

import pytest

from segmentation.domain.bucketing import (
    BUCKETS,
    buckets_to_percent,
    has_at_most_two_decimals,
    in_share,
    percent_to_buckets,
    user_bucket,
)

SALT = "9f2c4e61d0b84a7e93c15f2a6b7d8e01"
N = 100_000
# Half sequential ids (the common case: auto-increment user ids), half spread over the
# whole id range.
IDS = list(range(1, N // 2 + 1)) + random.Random(20240501).sample(range(10**6, 2**63), N // 2)
# The chi-square 99.9% critical value for 99 degrees of freedom (100 bins), as
# scipy.stats.chi2.ppf(0.999, 99) gives it; scipy is not a dependency of this project.
CHI_SQUARE_99_DF_999 = 148.23


@pytest.fixture(scope="module")
def buckets() -> list[int]:
    return [user_bucket(SALT, user_id) for user_id in IDS]


@pytest.mark.parametrize(
    ("salt", "user_id", "bucket"),
    [
        ("salt", 1, 4688),  # sha256(b"salt:1") starts 73a035a1e681b590; that mod 10,000
        ("salt", 2, 9801),
        ("0123456789abcdef0123456789abcdef", 1000, 9127),
        ("0123456789abcdef0123456789abcdef", 2**63 - 1, 7005),
        ("a", 12, 5685),  # the separator keeps ("a", 12) and ("a1", 2) apart
        ("a1", 2, 4579),
    ],
)
def test_pinned_vectors(salt: str, user_id: int, bucket: int) -> None:
    assert user_bucket(salt, user_id) == bucket


def test_same_answer_in_processes_with_different_hash_seeds() -> None:
    probe = "from segmentation.domain.bucketing import user_bucket; " + (
        f"print([user_bucket({SALT!r}, i) for i in range(1, 200)])"
    )
    expected = str([user_bucket(SALT, i) for i in range(1, 200)])
    for seed in ["0", "1", "4242"]:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == expected


@pytest.mark.parametrize("percent", [0.01, 1, 10, 50])
@pytest.mark.parametrize(
    "ids", [slice(0, N), slice(0, N // 2), slice(N // 2, N)], ids=["all", "seq", "spread"]
)
def test_share_is_within_five_sigma(buckets: list[int], percent: float, ids: slice) -> None:
    share = percent_to_buckets(percent)
    chosen = buckets[ids]
    p = share / BUCKETS
    members = sum(bucket < share for bucket in chosen)
    sigma = math.sqrt(len(chosen) * p * (1 - p))
    assert abs(members - len(chosen) * p) <= 5 * sigma, (members, len(chosen) * p)


def test_buckets_pass_chi_square_over_100_bins(buckets: list[int]) -> None:
    bins = Counter(bucket * 100 // BUCKETS for bucket in buckets)
    expected = N / 100
    chi_square = sum((bins.get(b, 0) - expected) ** 2 / expected for b in range(100))
    assert chi_square < CHI_SQUARE_99_DF_999


def test_zero_percent_is_nobody_and_hundred_is_everybody() -> None:
    assert not any(in_share(SALT, user_id, percent_to_buckets(0)) for user_id in IDS)
    assert all(in_share(SALT, user_id, percent_to_buckets(100)) for user_id in IDS)


def test_salts_differing_in_the_last_character_are_independent() -> None:
    other = SALT[:-1] + "2"
    p, q = 0.3, 0.4
    both = sum(
        in_share(SALT, user_id, int(p * BUCKETS)) and in_share(other, user_id, int(q * BUCKETS))
        for user_id in IDS
    )
    sigma = math.sqrt(N * p * q * (1 - p * q))
    assert abs(both - N * p * q) <= 5 * sigma, (both, N * p * q)


def test_a_ramp_only_adds_users(buckets: list[int]) -> None:
    steps = [0, 1, 50, 100, 1000, 2500, 5000, 9999, 10_000]
    members = [{i for i, bucket in enumerate(buckets) if bucket < step} for step in steps]
    for smaller, larger in itertools.pairwise(members):
        assert smaller <= larger
    assert len(members[-1]) == N


@pytest.mark.parametrize(
    ("percent", "share"),
    [(0, 0), (0.01, 1), (0.29, 29), (12.5, 1250), (33.33, 3333), (99.99, 9999), (100, 10_000)],
)
def test_percent_converts_exactly_to_buckets(percent: float, share: int) -> None:
    assert percent_to_buckets(percent) == share
    assert buckets_to_percent(share) == percent


@pytest.mark.parametrize("percent", [-1, 100.001, 1.234, 0.001, 1e-5, True])
def test_percents_out_of_range_or_finer_than_a_bucket_are_refused(percent: float) -> None:
    with pytest.raises(ValueError, match="percent"):
        percent_to_buckets(percent)


def test_two_decimals_rule() -> None:
    assert has_at_most_two_decimals(12.34)
    assert has_at_most_two_decimals(50.0)
    assert has_at_most_two_decimals(7)
    assert not has_at_most_two_decimals(12.345)
    assert not has_at_most_two_decimals(True)
