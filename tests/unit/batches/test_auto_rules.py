"""The rules of auto runs: which due date a rule matches on a day, the suppression window, run identity."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from batches.domain.queue import (
    GenerationJob,
    JobKind,
    JobState,
    auto_run_id,
    due_date_matched,
    queue_id,
    suppressed,
)
from batches.service_layer.queue import local_today

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_a_first_notice_30_days_before_matches_the_assemblies_due_a_month_later() -> None:
    assert due_date_matched(date(2026, 6, 1), -30) == date(2026, 7, 1)


def test_an_overdue_notice_the_day_after_matches_the_assemblies_due_yesterday() -> None:
    assert due_date_matched(date(2026, 7, 2), 1) == date(2026, 7, 1)


def test_a_notice_inside_the_window_suppresses_and_one_outside_does_not() -> None:
    on = date(2026, 6, 1)
    assert suppressed(on, [date(2026, 4, 1)], 65)  # 61 days before
    assert not suppressed(on, [date(2026, 3, 28)], 65)  # 65 days before: the window has passed
    assert suppressed(on, [date(2026, 6, 20)], 65)  # a later day already had it (a run made out of order)
    assert not suppressed(on, [], 65)
    assert not suppressed(on, [on], 0)  # a window of 0 suppresses nothing


def test_the_run_of_a_type_on_a_day_has_one_id_whoever_makes_it() -> None:
    org, kind = uuid4(), uuid4()
    assert auto_run_id(org, kind, date(2026, 6, 1)) == auto_run_id(org, kind, date(2026, 6, 1))
    assert auto_run_id(org, kind, date(2026, 6, 1)) != auto_run_id(org, kind, date(2026, 6, 2))
    assert auto_run_id(org, kind, date(2026, 6, 1)) != auto_run_id(uuid4(), kind, date(2026, 6, 1))


def test_each_organization_has_its_own_queue() -> None:
    org = uuid4()
    assert queue_id(org) == queue_id(org) != queue_id(uuid4())


def job() -> GenerationJob:
    return GenerationJob(
        id=uuid4(),
        org_id=uuid4(),
        kind=JobKind.AUTO,
        run_key="auto|x|2026-06-01",
        template_id=uuid4(),
        template_version=1,
        template_name="First notice",
        state=JobState.GENERATING,
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_run_with_nothing_due_is_generated_at_once() -> None:
    run = job()
    run.start(0, NOW)
    assert run.state is JobState.GENERATED and run.finished_at == NOW


def test_a_run_is_generated_when_its_last_chunk_is_accounted_and_not_before() -> None:
    run = job()
    run.start(2, NOW)
    assert not run.account_chunk(NOW)
    assert run.state is JobState.GENERATING
    assert run.account_chunk(NOW)
    assert run.state is JobState.GENERATED
    assert not run.account_chunk(NOW)  # a late extra chunk changes nothing
    assert run.chunks_done == 2


def test_the_organizations_day_follows_its_timezone() -> None:
    late_evening_in_oregon = datetime(2026, 6, 2, 3, tzinfo=UTC)
    assert local_today("America/Los_Angeles", late_evening_in_oregon) == date(2026, 6, 1)
    assert local_today("UTC", late_evening_in_oregon) == date(2026, 6, 2)
    assert local_today("Not/AZone", late_evening_in_oregon) == date(2026, 6, 2)
