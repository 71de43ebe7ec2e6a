"""Keys that spread a group of messages over a topic's partitions evenly.

A batch's generation requests (and their results) should keep several consumers busy until
the end: hashing each chunk's key put 16 of 26 chunks on one generator's partitions and 10 on
the other's in one run, and the batch waited for the busier one. A spread key names a group
and an index; the group's messages go round robin over the partitions, starting at the
partition the group's name hashes to. Any other key is partitioned as Kafka always does.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.partitioner import DefaultPartitioner, murmur2

SEPARATOR = "#"


def spread_key(group: object, index: int) -> str:
    """The key of message ``index`` of ``group`` (e.g. a batch id and a chunk index)."""
    if index < 0:
        raise ValueError("a spread key's index is 0 or more")
    return f"{group}{SEPARATOR}{index}"


class SpreadPartitioner:
    """aiokafka partitioner: spread keys round robin within their group, other keys hashed."""

    _default = DefaultPartitioner()

    def __call__(self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        if key:
            group, separator, index = key.rpartition(SEPARATOR.encode())
            if separator and group and index.isdigit():
                partitions = sorted(all_partitions)
                start = murmur2(group) & 0x7FFFFFFF
                return partitions[(start + int(index)) % len(partitions)]
        return self._default(key, all_partitions, available)
