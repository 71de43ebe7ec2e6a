"""Splitting a batch's members into generation chunks.

A location's members stay in one chunk, so the generator can group them into one notice
per contact per location; chunks are about ``chunk_size`` members (a location larger than
that makes one bigger chunk).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

M = TypeVar("M")


def chunk_by_location(
    members: Sequence[M], location_of: Callable[[M], Hashable], chunk_size: int = 400
) -> list[list[M]]:
    """Group ``members`` by location (first-seen order) and pack whole locations into chunks."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    chunks: list[list[M]] = []
    current: list[M] = []
    for group in _by_location(members, location_of):
        if current and len(current) + len(group) > chunk_size:
            chunks.append(current)
            current = []
        current.extend(group)
    if current:
        chunks.append(current)
    return chunks


def spread_chunks(
    members: Sequence[M], location_of: Callable[[M], Hashable], chunk_size: int = 400, partitions: int = 1
) -> list[list[M]]:
    """``chunk_by_location`` for a batch whose chunks go round robin over ``partitions``.

    With more chunks than partitions, their number is rounded up to a multiple of
    ``partitions`` and the members are cut into chunks of nearly equal size (whole locations,
    at the running thresholds): every partition, so every generator copy, gets as many.
    (26 chunks over 6 partitions gave one generator 14 and the other 12, and the batch waited
    for the busier one.) Chunks stay at most about ``chunk_size`` members.
    """
    if chunk_size < 1 or partitions < 1:
        raise ValueError("chunk_size and partitions must be at least 1")
    count = -(-len(members) // chunk_size)
    if partitions == 1 or count <= partitions:
        return chunk_by_location(members, location_of, chunk_size)
    count = -(-count // partitions) * partitions
    chunks: list[list[M]] = []
    current: list[M] = []
    placed = 0
    for group in _by_location(members, location_of):
        current.extend(group)
        placed += len(group)
        if len(chunks) < count - 1 and placed * count >= (len(chunks) + 1) * len(members):
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def _by_location(members: Sequence[M], location_of: Callable[[M], Hashable]) -> list[list[M]]:
    """The members grouped by location, locations in first-seen order."""
    groups: dict[Hashable, list[M]] = {}
    for member in members:
        groups.setdefault(location_of(member), []).append(member)
    return list(groups.values())
