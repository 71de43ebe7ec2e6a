"""Spread keys: a batch's chunks go round robin over a topic's partitions; other keys as Kafka hashes them."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from aiokafka.partitioner import DefaultPartitioner

from servicekit.partitioning import SpreadPartitioner, spread_key

PARTITIONS = [3, 0, 5, 1, 4, 2]  # as the producer's metadata may list them: any order


def partition_of(key: str, partitions: list[int] = PARTITIONS) -> int:
    return SpreadPartitioner()(key.encode(), partitions, partitions)


@pytest.mark.parametrize("chunks", [1, 4, 6, 26, 100])
def test_a_batch_s_chunks_fill_every_partition_evenly(chunks: int) -> None:
    batch_id = uuid.uuid4()
    counts = Counter(partition_of(spread_key(batch_id, i)) for i in range(chunks))
    if chunks >= len(PARTITIONS):
        assert set(counts) == set(PARTITIONS)
    else:
        assert len(counts) == chunks  # fewer chunks than partitions: each on its own
    assert max(counts.values()) - min(counts.values()) <= 1


def test_consecutive_chunks_go_to_consecutive_partitions_from_the_batch_s_own_start() -> None:
    batch_id = uuid.uuid4()
    first = partition_of(spread_key(batch_id, 0))
    assert [partition_of(spread_key(batch_id, i)) for i in range(1, 8)] == [(first + i) % 6 for i in range(1, 8)]
    # the same key always lands on the same partition (a redelivered chunk, a restarted relay)
    assert partition_of(spread_key(batch_id, 3)) == partition_of(spread_key(batch_id, 3))


def test_batches_start_on_different_partitions() -> None:
    starts = {partition_of(spread_key(uuid.uuid4(), 0)) for _ in range(200)}
    assert starts == set(PARTITIONS)


@pytest.mark.parametrize("key", ["7f0c2d1e-2b7a-4f6e-9a51-3c2b1d0e9f8a", "batch#x", "#3", "a:1", "plain"])
def test_other_keys_are_hashed_as_kafka_does(key: str) -> None:
    assert partition_of(key) == DefaultPartitioner()(key.encode(), PARTITIONS, PARTITIONS)


def test_no_key_is_left_to_kafka() -> None:
    assert SpreadPartitioner()(None, PARTITIONS, PARTITIONS) in PARTITIONS


def test_a_negative_index_is_refused() -> None:
    with pytest.raises(ValueError):
        spread_key(uuid.uuid4(), -1)
