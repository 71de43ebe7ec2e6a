"""The mailbox: every accepted message, in memory and optionally in a folder.

Receiving must stay cheap (the benchmark pushes thousands of messages through), so a
message is stored as raw bytes plus its envelope and parsed only when first read.
The SMTP server runs in its own thread (aiosmtpd's Controller) while the HTTP API
reads from the main thread, hence the lock.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any


@dataclass
class StoredMessage:
    id: str
    seq: int
    received_at: datetime
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    _parsed: dict[str, Any] | None = field(default=None, repr=False)

    def parsed(self) -> dict[str, Any]:
        """Headers, parts and attachments of the message (parsed once, then cached)."""
        if self._parsed is None:
            self._parsed = _parse(self.raw)
        return self._parsed

    def summary(self) -> dict[str, Any]:
        p = self.parsed()
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "mail_from": self.mail_from,
            "rcpt_tos": self.rcpt_tos,
            "from": p["from"],
            "to": p["to"],
            "cc": p["cc"],
            "subject": p["subject"],
            "message_id": p["message_id"],
            "attachments": p["attachments"],
        }

    def detail(self) -> dict[str, Any]:
        p = self.parsed()
        return {
            **self.summary(),
            "reply_to": p["reply_to"],
            "date": p["date"],
            "headers": p["headers"],
            "text": p["text"],
            "html": p["html"],
            "size": len(self.raw),
            "raw": self.raw.decode("utf-8", errors="replace"),
        }


def _addresses(msg: EmailMessage, name: str) -> list[str]:
    header = msg.get(name)
    if header is None:
        return []
    try:
        return [str(a.addr_spec) for a in header.addresses]
    except AttributeError:  # a malformed header parsed as unstructured
        return [str(header)]


def _parse(raw: bytes) -> dict[str, Any]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    attachments = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        attachments.append(
            {"filename": part.get_filename() or "", "content_type": part.get_content_type(), "size": len(payload)}
        )
    message_id = str(msg.get("Message-ID", "")).strip()
    return {
        "from": _addresses(msg, "From"),
        "to": _addresses(msg, "To"),
        "cc": _addresses(msg, "Cc"),
        "reply_to": _addresses(msg, "Reply-To"),
        "subject": str(msg.get("Subject", "")),
        "message_id": message_id,
        "date": str(msg.get("Date", "")),
        "headers": [[k, str(v)] for k, v in msg.items()],
        "text": text_part.get_content() if text_part is not None else "",
        "html": html_part.get_content() if html_part is not None else "",
        "attachments": attachments,
    }


def _bare_message_id(value: str) -> str:
    return value.strip().strip("<>").lower()


class Mailbox:
    """Thread-safe store of received messages."""

    def __init__(self, store_dir: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._messages: list[StoredMessage] = []
        self._by_id: dict[str, StoredMessage] = {}
        self._seq = 0
        self.store_dir = store_dir
        if store_dir is not None:
            store_dir.mkdir(parents=True, exist_ok=True)
            self._load()

    def _load(self) -> None:
        assert self.store_dir is not None
        loaded = []
        for meta_path in self.store_dir.glob("*.json"):
            eml = meta_path.with_suffix(".eml")
            if not eml.exists():
                continue  # the process died between the two writes: the message was not acknowledged
            meta = json.loads(meta_path.read_text())
            loaded.append(
                StoredMessage(
                    id=meta["id"],
                    seq=meta["seq"],
                    received_at=datetime.fromisoformat(meta["received_at"]),
                    mail_from=meta["mail_from"],
                    rcpt_tos=meta["rcpt_tos"],
                    raw=eml.read_bytes(),
                )
            )
        loaded.sort(key=lambda m: m.seq)
        self._messages = loaded
        self._by_id = {m.id: m for m in loaded}
        self._seq = loaded[-1].seq if loaded else 0

    def add(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> StoredMessage:
        """Store one accepted message; with a folder, it is on disk before this returns."""
        with self._lock:
            self._seq += 1
            message = StoredMessage(
                id=uuid.uuid4().hex,
                seq=self._seq,
                received_at=datetime.now(UTC),
                mail_from=mail_from,
                rcpt_tos=list(rcpt_tos),
                raw=raw,
            )
            if self.store_dir is not None:
                meta = {
                    "id": message.id,
                    "seq": message.seq,
                    "received_at": message.received_at.isoformat(),
                    "mail_from": mail_from,
                    "rcpt_tos": message.rcpt_tos,
                }
                # the .eml first: a .json without its .eml is ignored at load
                (self.store_dir / f"{message.id}.eml").write_bytes(raw)
                (self.store_dir / f"{message.id}.json").write_text(json.dumps(meta))
            self._messages.append(message)
            self._by_id[message.id] = message
            return message

    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def get(self, message_id: str) -> StoredMessage | None:
        with self._lock:
            return self._by_id.get(message_id)

    def search(self, *, to: str = "", message_id: str = "") -> list[StoredMessage]:
        """Messages in arrival order; ``to`` matches any envelope recipient, ``message_id`` the header."""
        with self._lock:
            messages = list(self._messages)
        if to:
            wanted = to.strip().lower()
            messages = [m for m in messages if any(r.lower() == wanted for r in m.rcpt_tos)]
        if message_id:
            wanted = _bare_message_id(message_id)
            messages = [m for m in messages if _bare_message_id(m.parsed()["message_id"]) == wanted]
        return messages

    def clear(self) -> int:
        with self._lock:
            removed = len(self._messages)
            if self.store_dir is not None:
                for m in self._messages:
                    (self.store_dir / f"{m.id}.json").unlink(missing_ok=True)
                    (self.store_dir / f"{m.id}.eml").unlink(missing_ok=True)
            self._messages = []
            self._by_id = {}
            return removed
