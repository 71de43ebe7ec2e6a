"""Integration-level stand-ins for the batches service's neighbours.

- small FastAPI apps for the assemblies, generator and documents internal endpoints
  (the shapes of contracts/ and the brief), served by uvicorn on 127.0.0.1;
- ``GeneratorPlayer``: a real Kafka consumer answering GenerationRequested with
  CommunicationsGenerated through Kafka (rendering with ``play_generator``);
- ``DeliveryListener``: a real Kafka consumer recording DeliveryRequested and BatchClosed.
"""

from __future__ import annotations

import asyncio
import socket
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI, HTTPException, Request, Response

from contracts.events import BatchClosed, CommunicationsGenerated, DeliveryRequested, GenerationRequested
from contracts.snapshots import MEMBER_LINES, MemberSnapshot, OrganizationSnapshot, member_lines
from servicekit.identity import HEADER, verify_identity_token
from servicekit.naming import group_name, topic_name
from tests.unit.batches.batches_fakes import play_generator


def snapshot_answer(request: Request, organization: OrganizationSnapshot, members: list[MemberSnapshot]) -> Any:
    """``POST /internal/members/snapshots`` as the assemblies service answers it: JSON, or lines when asked."""
    if MEMBER_LINES in request.headers.get("accept", ""):
        lines = [(m.assembly.id, m.location.id, m.model_dump_json()) for m in members]
        return Response(member_lines(organization.model_dump_json(), lines), media_type=MEMBER_LINES)
    return {
        "organization": organization.model_dump(mode="json"),
        "members": [m.model_dump(mode="json") for m in members],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """An ASGI app served by uvicorn on 127.0.0.1 inside the test's event loop."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self.task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(2400):  # two minutes: the broker may be busy with teammates' runs
            if self.server.started:
                return
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.05)
        raise TimeoutError("server did not start")

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task:
            await asyncio.wait_for(self.task, timeout=30)


class Neighbours:
    """The stub assemblies, generator and documents services (one app, three prefixes' worth)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.organizations: dict[UUID, OrganizationSnapshot] = {}
        self.members: dict[UUID, dict[UUID, MemberSnapshot]] = defaultdict(dict)
        self.templates: dict[UUID, dict[str, Any]] = {}
        self.combined_requests: list[list[str]] = []
        self.app = self._build()

    def _org(self, request: Request) -> UUID:
        try:
            return verify_identity_token(request.headers.get(HEADER, ""), self.secret).org_id
        except Exception as exc:
            raise HTTPException(401, "invalid identity token") from exc

    def add_template(self, org_id: UUID, *, published: bool = True, name: str = "Annual notice") -> UUID:
        tid = uuid4()
        self.templates[tid] = {
            "org_id": org_id,
            "id": str(tid),
            "name": name,
            "version": 2,
            "published": published,
            "communication_type_id": str(uuid4()),
            "settings": {},
        }
        return tid

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/internal/members/resolve")
        async def resolve(request: Request) -> dict[str, Any]:
            org = self._org(request)
            body = await request.json()
            filter = body.get("filter", {})
            types = filter.get("assembly_type")
            if types is not None and not isinstance(types, list):
                raise HTTPException(
                    422, [{"loc": ["body", "filter", "assembly_type"], "msg": "must be a list", "type": "list_type"}]
                )
            ids = [str(a) for a, m in self.members[org].items() if not types or m.assembly.assembly_type in types]
            return {"assembly_ids": ids, "count": len(ids), "filter": filter}

        @app.post("/internal/members/snapshots")
        async def snapshots(request: Request) -> Any:
            org = self._org(request)
            ids = (await request.json())["assembly_ids"]
            if len(ids) > 1000:
                raise HTTPException(422, "at most 1000 ids")
            members = [self.members[org][UUID(i)] for i in ids if UUID(i) in self.members[org]]
            return snapshot_answer(request, self.organizations[org], members)

        @app.get("/internal/templates/{template_id}")
        async def template(template_id: UUID, request: Request) -> dict[str, Any]:
            org = self._org(request)
            found = self.templates.get(template_id)
            if found is None or found["org_id"] != org:
                raise HTTPException(404, "template not found")
            return {k: v for k, v in found.items() if k != "org_id"}

        @app.post("/internal/batches/{batch_id}/combined")
        async def combined(batch_id: UUID, request: Request) -> dict[str, Any]:
            self._org(request)
            ids = (await request.json())["communication_ids"]
            self.combined_requests.append(ids)
            return {
                "url": f"http://127.0.0.1:8105/documents/{uuid4().hex}",
                "expires_at": (datetime.now(UTC) + timedelta(hours=24)).isoformat(),
                "document_id": str(uuid4()),
            }

        return app


class GeneratorPlayer:
    """Answers each GenerationRequested through Kafka; ``duplicates[batch_id] = n`` answers n+1 times."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.duplicates: dict[UUID, int] = {}
        self.partitions: dict[UUID, set[int]] = defaultdict(set)
        self.requests: dict[UUID, list[GenerationRequested]] = defaultdict(list)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            topic_name(GenerationRequested.TOPIC),
            bootstrap_servers=self.bootstrap,
            group_id=group_name("test-generator"),
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=10 * 1024 * 1024,
        )
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, max_request_size=10 * 1024 * 1024)
        await self.consumer.start()
        await self.producer.start()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for record in self.consumer:
            request = GenerationRequested.from_json_bytes(record.value)
            self.partitions[request.batch_id].add(record.partition)
            self.requests[request.batch_id].append(request)
            result: CommunicationsGenerated = play_generator(request)
            copies = [result]
            for _ in range(self.duplicates.get(request.batch_id, 0)):
                copies.append(result)  # the same event delivered again
                copies.append(result.model_copy(update={"event_id": uuid4()}))  # the chunk rendered again
            for event in copies:
                await self.producer.send_and_wait(
                    topic_name(CommunicationsGenerated.TOPIC), event.to_json_bytes(), key=str(request.batch_id).encode()
                )

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()
        await self.producer.stop()


class DeliveryListener:
    """Records what delivery would receive: DeliveryRequested and BatchClosed."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.requested: dict[UUID, list[DeliveryRequested]] = defaultdict(list)
        self.closed: list[BatchClosed] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            topic_name(DeliveryRequested.TOPIC),
            topic_name(BatchClosed.TOPIC),
            bootstrap_servers=self.bootstrap,
            group_id=group_name("test-delivery"),
            auto_offset_reset="earliest",
        )
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await self.consumer.start()
        await self.producer.start()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for record in self.consumer:
            if record.topic == topic_name(BatchClosed.TOPIC):
                self.closed.append(BatchClosed.from_json_bytes(record.value))
            else:
                event = DeliveryRequested.from_json_bytes(record.value)
                assert record.key == str(event.communication_id).encode()
                self.requested[event.batch_id].append(event)

    async def publish(self, event: Any, key: str) -> None:
        await self.producer.send_and_wait(topic_name(event.TOPIC), event.to_json_bytes(), key=key.encode())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()
        await self.producer.stop()
