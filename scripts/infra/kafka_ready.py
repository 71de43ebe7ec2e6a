"""Wait until a Kafka broker answers a metadata request.

Used by ``scripts/infra/kafka.sh wait``.  Exit codes: 0 ready, 1 timeout or the
broker process died (the last lines of the broker log are printed), 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path


def _tail(path: str | None, lines: int) -> str:
    if not path:
        return ""
    p = Path(path)
    if not p.is_file():
        return f"(no {path})\n"
    text = p.read_text(errors="replace").splitlines()[-lines:]
    return f"--- last {len(text)} lines of {path} ---\n" + "\n".join(text) + "\n"


def _pid_alive(pid_file: str | None) -> bool:
    if not pid_file:
        return True
    try:
        pid = int(Path(pid_file).read_text().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _probe(bootstrap: str, request_timeout_ms: int) -> int:
    """Return the number of brokers in the cluster metadata (raises on failure)."""
    from aiokafka import AIOKafkaClient

    client = AIOKafkaClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=request_timeout_ms,
        connections_max_idle_ms=10_000,
        metadata_max_age_ms=10_000,
    )
    try:
        await client.bootstrap()
        brokers = client.cluster.brokers()
        if not brokers:
            raise RuntimeError("metadata has no brokers yet")
        return len(brokers)
    finally:
        await client.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between tries")
    parser.add_argument("--pid-file", help="fail fast when the pid recorded here dies")
    parser.add_argument("--log", help="broker log whose tail is printed on failure")
    parser.add_argument("--log-extra", help="second log (stdout/stderr of the JVM)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()

    # aiokafka logs every refused connection at ERROR; we report failures ourselves.
    logging.basicConfig(level=logging.CRITICAL)

    deadline = time.monotonic() + args.timeout
    last_error: BaseException | None = None
    while True:
        if not _pid_alive(args.pid_file):
            if not args.quiet:
                print(f"kafka_ready: broker process (pid file {args.pid_file}) is not running", file=sys.stderr)
                sys.stderr.write(_tail(args.log, 40) + _tail(args.log_extra, 40))
            return 1
        remaining = deadline - time.monotonic()
        try:
            n = await asyncio.wait_for(
                _probe(args.bootstrap, request_timeout_ms=5000), timeout=max(1.0, min(10.0, remaining))
            )
            if not args.quiet:
                print(f"kafka_ready: {args.bootstrap} answered metadata ({n} broker(s))")
            return 0
        except Exception as exc:  # anything means "not ready yet"
            last_error = exc
        if time.monotonic() + args.interval >= deadline:
            break
        await asyncio.sleep(args.interval)

    if not args.quiet:
        print(
            f"kafka_ready: {args.bootstrap} did not answer within {args.timeout:g} s "
            f"(last error: {type(last_error).__name__}: {last_error})",
            file=sys.stderr,
        )
        sys.stderr.write(_tail(args.log, 40) + _tail(args.log_extra, 40))
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
