"""Topic and consumer-group names, with the optional ``KAFKA_NAMESPACE`` prefix.

The prefix lets several copies of the whole system (two test runs, CI and a developer)
share one broker without consuming each other's events. It is empty in production.
"""

from __future__ import annotations

import os


def namespace() -> str:
    return os.environ.get("KAFKA_NAMESPACE", "")


def topic_name(topic: str) -> str:
    return f"{namespace()}{topic}"


def group_name(group_id: str) -> str:
    return f"{namespace()}{group_id}"
