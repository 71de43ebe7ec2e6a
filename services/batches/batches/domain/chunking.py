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
    by_location: dict[Hashable, list[M]] = {}
    for member in members:
        by_location.setdefault(location_of(member), []).append(member)
    chunks: list[list[M]] = []
    current: list[M] = []
    for group in by_location.values():
        if current and len(current) + len(group) > chunk_size:
            chunks.append(current)
            current = []
        current.extend(group)
    if current:
        chunks.append(current)
    return chunks
