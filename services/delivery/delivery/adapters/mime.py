"""The MIME form of an outgoing email: multipart/alternative text + HTML, the PDF attached."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from delivery.domain.outgoing_email import OutgoingEmail


def to_mime(email: OutgoingEmail, date: datetime) -> EmailMessage:
    """Headers From, Reply-To, To, Cc, Subject, Message-ID, Date; never a Bcc header."""
    msg = EmailMessage()
    msg["From"] = email.sender
    msg["To"] = email.to
    if email.cc:
        msg["Cc"] = email.cc
    if email.reply_to is not None:
        msg["Reply-To"] = email.reply_to
    msg["Subject"] = email.subject
    msg["Message-ID"] = email.message_id
    msg["Date"] = format_datetime(date)
    msg.set_content(email.body_text)
    if email.body_html:
        msg.add_alternative(email.body_html, subtype="html")
    if email.attachment is not None:
        a = email.attachment
        msg.add_attachment(a.content, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    return msg
