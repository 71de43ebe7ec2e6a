"""Service settings and runtime: the settled garbage collector, Kafka compression."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from servicekit.runtime import settle_garbage_collector
from servicekit.settings import ServiceSettings


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.unfreeze()  # a service started earlier in this test process may have frozen some
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settling_freezes_what_is_alive_and_raises_the_first_threshold(restored_collector: None) -> None:
    _, older, oldest = gc.get_threshold()
    settle_garbage_collector(50_000)
    assert gc.get_freeze_count() > 1000  # this test process's modules, classes, functions...
    assert gc.get_threshold() == (50_000, older, oldest)
    # cycles made afterwards are still collected
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


def test_zero_keeps_python_s_collector_as_it_is(restored_collector: None) -> None:
    before = gc.get_threshold()
    settle_garbage_collector(0)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_the_setting_defaults_to_settling_and_refuses_a_negative_threshold() -> None:
    assert ServiceSettings().gc_young_threshold == 50_000
    with pytest.raises(ValueError):
        ServiceSettings(gc_young_threshold=-1)


def test_producers_compress_with_zstd_unless_told_otherwise() -> None:
    import aiokafka.codec

    assert ServiceSettings().kafka_compression == "zstd"
    assert aiokafka.codec.has_zstd()  # cramjam is installed with aiokafka[zstd]
    assert ServiceSettings(kafka_compression="none").kafka_compression == "none"
    with pytest.raises(ValueError):
        ServiceSettings(kafka_compression="brotli")
