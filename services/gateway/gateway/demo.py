"""``python -m gateway.demo``: the demo users (idempotent; resets their names, roles and passwords).

- admin@riverbend-water.example / riverbend-admin: org_admin of Riverbend Water Utility
- viewer@riverbend-water.example / riverbend-viewer: viewer of Riverbend Water Utility
- admin@lakeside-water.example / lakeside-admin: org_admin of Lakeside Water District
"""

from __future__ import annotations

import asyncio
import uuid

from gateway.bootstrap import build_authenticator, build_runtime
from gateway.config import Settings
from servicekit.clock import SystemClock
from servicekit.demo import DEMO_ORG_ID, OTHER_ORG_ID

DEMO_USERS = (
    (DEMO_ORG_ID, "admin@riverbend-water.example", "Riley Admin", "org_admin", "riverbend-admin"),
    (DEMO_ORG_ID, "viewer@riverbend-water.example", "Val Viewer", "viewer", "riverbend-viewer"),
    (OTHER_ORG_ID, "admin@lakeside-water.example", "Lee Lakeside", "org_admin", "lakeside-admin"),
)


def demo_user_id(email: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"bcc-demo-user:{email}")


async def load(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    runtime = build_runtime(settings)
    await runtime.migrate()
    auth = build_authenticator(runtime, settings, SystemClock())
    try:
        for org_id, email, name, role, password in DEMO_USERS:
            await auth.save_user(
                org_id=org_id, email=email, name=name, role=role, password=password, user_id=demo_user_id(email)
            )
            print(f"demo user {email} ({role})")
    finally:
        await runtime.engine.dispose()


if __name__ == "__main__":
    asyncio.run(load())
