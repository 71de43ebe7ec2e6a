"""``python -m assemblies.demo --org demo --assemblies 600``: load a demo utility (idempotent).

``--org demo`` is Riverbend Water Utility (``servicekit.demo.DEMO_ORG_ID``), ``--org other``
the small second organization; ``--assemblies 1000000`` makes the benchmark's utility.
The database is ``ASSEMBLIES_DATABASE_URL`` (or ``--database-url``); migrations run first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from assemblies.bootstrap import MIGRATIONS
from assemblies.config import Settings
from assemblies.demo.loader import load_demo
from servicekit.db import create_engine, create_session_factory
from servicekit.demo import DEMO_ORG_ID, OTHER_ORG_ID
from servicekit.migrations import upgrade

ORGS = {"demo": (DEMO_ORG_ID, 42), "other": (OTHER_ORG_ID, 7)}


async def _run(url: str, org: str, n: int, seed: int | None) -> None:
    org_id, default_seed = ORGS[org]
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        made = await load_demo(
            create_session_factory(engine),
            org_id,
            n,
            seed if seed is not None else default_seed,
            progress=lambda k: print(f"  {k} assemblies", file=sys.stderr),
        )
    finally:
        await engine.dispose()
    print(f"{org}: {made} assemblies loaded (or already there) in {time.perf_counter() - started:.1f}s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m assemblies.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--org", choices=sorted(ORGS), default="demo")
    parser.add_argument("--assemblies", type=int, default=600)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    asyncio.run(_run(args.database_url or Settings().database_url, args.org, args.assemblies, args.seed))


if __name__ == "__main__":
    main()
