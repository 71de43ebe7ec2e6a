"""The batch state machine, communication statuses and chunking, as DOMAIN.md states them."""

import random
from datetime import UTC, datetime
from itertools import product
from uuid import uuid4

import pytest

from batches.domain.batch import Batch, BatchState, ForbiddenTransition, allowed_actions, can_transition, clone_name
from batches.domain.chunking import chunk_by_location, spread_chunks
from batches.domain.communication import CommunicationStatus as S
from batches.domain.communication import apply_delivery_report, message_id_for

NOW = datetime(2026, 1, 5, tzinfo=UTC)

ALLOWED = {
    ("open", "generating"),
    ("generating", "generated"),
    ("generated", "partially_sent"),
    ("partially_sent", "complete"),
    ("open", "archived"),
    ("generated", "archived"),
    ("partially_sent", "archived"),
    ("complete", "archived"),
}


def batch(state: BatchState = BatchState.OPEN) -> Batch:
    return Batch(
        id=uuid4(),
        org_id=uuid4(),
        name="Spring notices",
        template_id=uuid4(),
        template_version=1,
        template_name="t",
        due_date=None,
        filter={},
        member_count=3,
        state=state,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize(("source", "target"), list(product(BatchState, BatchState)))
def test_only_the_documented_transitions_are_allowed(source: BatchState, target: BatchState) -> None:
    assert can_transition(source, target) == ((source.value, target.value) in ALLOWED)


def test_completing_a_generated_batch_that_sent_nothing_is_refused_with_a_clear_message() -> None:
    b = batch(BatchState.GENERATED)
    with pytest.raises(ForbiddenTransition) as err:
        b.complete(NOW)
    assert "cannot complete a batch that is generated" in str(err.value)
    assert "archive" in err.value.allowed
    assert b.state is BatchState.GENERATED


def test_editing_is_refused_once_generation_started() -> None:
    b = batch()
    b.start_generation(NOW, chunks_total=2)
    with pytest.raises(ForbiddenTransition):
        b.edit(NOW, name="other")
    assert b.name == "Spring notices"


def test_the_last_chunk_moves_the_batch_to_generated() -> None:
    b = batch()
    b.start_generation(NOW, chunks_total=2)
    assert b.account_chunk(NOW) is False
    assert b.state is BatchState.GENERATING
    assert b.account_chunk(NOW) is True
    assert b.state is BatchState.GENERATED


def test_a_batch_without_chunks_is_generated_at_once() -> None:
    b = batch()
    b.start_generation(NOW, chunks_total=0)
    assert b.state is BatchState.GENERATED


def test_first_sent_moves_generated_to_partially_sent_once() -> None:
    b = batch(BatchState.GENERATED)
    assert b.record_first_sent(NOW) is True
    assert b.record_first_sent(NOW) is False
    assert b.state is BatchState.PARTIALLY_SENT


def test_allowed_actions_follow_the_state() -> None:
    assert "generate" in allowed_actions(BatchState.OPEN) and "send" not in allowed_actions(BatchState.OPEN)
    assert "complete" not in allowed_actions(BatchState.GENERATED)
    assert {"send", "complete", "archive"} <= set(allowed_actions(BatchState.PARTIALLY_SENT))
    assert allowed_actions(BatchState.ARCHIVED) == ["letters", "export", "clone"]
    assert allowed_actions(BatchState.GENERATING) == ["export", "clone"]


def test_a_clone_name_says_it_is_a_copy() -> None:
    assert clone_name("Spring notices") == "Copy of Spring notices"
    assert clone_name("Copy of Spring notices") == "Copy of Spring notices"


@pytest.mark.parametrize(
    ("current", "seq", "reported", "reported_seq", "closed", "expected"),
    [
        (S.QUEUED, 1, "sending", 1, False, S.SENDING),
        (S.SENDING, 1, "sent", 1, False, S.SENT),
        (S.SENDING, 1, "failed", 1, False, S.FAILED),
        (S.SENT, 1, "failed", 1, False, None),  # never regress a sent one
        (S.SENT, 1, "sending", 2, False, None),
        (S.QUEUED, 2, "failed", 1, False, None),  # stale report of an earlier request
        (S.REMOVED, 1, "sending", 1, True, None),
        (S.REMOVED, 1, "sent", 1, True, S.SENT),  # it really went out: the truth wins
        (S.SENDING, 1, "failed", 1, True, S.REMOVED),  # closed batch: nothing will retry it
        (S.GENERATED, 0, "sent", 0, False, None),
        (S.FAILED, 1, "sending", 1, False, S.SENDING),
    ],
)
def test_delivery_reports(current, seq, reported, reported_seq, closed, expected) -> None:
    assert apply_delivery_report(current, seq, reported, reported_seq, batch_closed=closed).status == expected


def test_message_id_is_stable_and_uses_the_org_domain() -> None:
    cid = uuid4()
    assert message_id_for(cid, "a@riverbend.example") == f"<{cid}@riverbend.example>"
    assert message_id_for(cid, "") == f"<{cid}@bcc.local>"


def test_chunks_keep_a_location_together_and_respect_the_size() -> None:
    members = [("L1", i) for i in range(3)] + [("L2", i) for i in range(5)] + [("L3", i) for i in range(2)]
    members = members[::2] + members[1::2]  # locations interleaved
    chunks = chunk_by_location(members, lambda m: m[0], chunk_size=4)
    assert [len(c) for c in chunks] == [3, 5, 2]  # a location of 5 exceeds the size but is not split
    for chunk in chunks:
        for loc in {m[0] for m in chunk}:
            assert sum(1 for m in members if m[0] == loc) == sum(1 for m in chunk if m[0] == loc)
    assert sum(len(c) for c in chunks) == len(members)


def test_small_locations_are_packed_together() -> None:
    members = [(f"L{i}", 0) for i in range(450)]
    chunks = chunk_by_location(members, lambda m: m[0], chunk_size=200)
    assert [len(c) for c in chunks] == [200, 200, 50]


def _demo_like_members(n: int, seed: int = 7) -> list[tuple[str, int]]:
    """Locations of 1 to 4 assemblies, like the demo utility's."""
    rng = random.Random(seed)
    members: list[tuple[str, int]] = []
    loc = 0
    while len(members) < n:
        members.extend((f"L{loc}", i) for i in range(min(rng.randint(1, 4), n - len(members))))
        loc += 1
    return members


@pytest.mark.parametrize("n, size, partitions", [(10_000, 400, 6), (10_000, 400, 4), (2_500, 100, 6), (901, 50, 3)])
def test_a_large_batch_makes_a_multiple_of_the_partitions_in_chunks_of_nearly_equal_size(
    n: int, size: int, partitions: int
) -> None:
    members = _demo_like_members(n)
    chunks = spread_chunks(members, lambda m: m[0], chunk_size=size, partitions=partitions)
    assert len(chunks) % partitions == 0 and len(chunks) >= -(-n // size)
    assert [m for chunk in chunks for m in chunk] == members  # every member once, in order
    for chunk in chunks:  # whole locations
        for loc in {m[0] for m in chunk}:
            assert sum(1 for m in members if m[0] == loc) == sum(1 for m in chunk if m[0] == loc)
    sizes = [len(c) for c in chunks]
    assert max(sizes) <= size + 3 and max(sizes) - min(sizes) <= 8
    # round robin over the partitions from any start: each partition gets the same number
    per_partition = [sum(1 for i in range(len(chunks)) if (i + 2) % partitions == p) for p in range(partitions)]
    assert len(set(per_partition)) == 1


def test_a_batch_of_no_more_chunks_than_partitions_is_chunked_as_usual() -> None:
    members = _demo_like_members(1_000)
    assert spread_chunks(members, lambda m: m[0], 400, 6) == chunk_by_location(members, lambda m: m[0], 400)
    assert spread_chunks(members, lambda m: m[0], 100, 1) == chunk_by_location(members, lambda m: m[0], 100)
    assert spread_chunks([], lambda m: m[0], 100, 6) == []
    with pytest.raises(ValueError):
        spread_chunks(members, lambda m: m[0], 100, 0)
