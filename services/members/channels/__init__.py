"""The channels that carry a notice to a person, behind one small interface: a sender has
`send(message: Outgoing) -> None` and raises `SendFailed` (with a short reason) when the provider
did not take the message; the caller retries later.

`from_config()` chooses from the environment:
- e-mail over SMTP when `MAILLAGE_SMTP_URL` is set (`channels/email.py`);
- SMS through Brevo's transactional SMS API when `MAILLAGE_SMS_API_KEY` is set (`channels/sms.py`);
- neither: a trial run, every message is written to a local file (`channels/outbox.py`) and a log
  line says so. When only one is set, the other channel has no sender: its notices become calls
  for the concierge (`Channels.has`)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from backbone import config

log = logging.getLogger("maillage.members.channels")


class SendFailed(Exception):
    """The provider did not take the message (refused, unreachable, timed out): `reason` is what
    the delivery log shows, never a password or an API key."""

    def __init__(self, reason: str, *, unreachable: bool = False):
        super().__init__(reason)
        self.reason = reason[:300]
        self.unreachable = (
            unreachable  # the provider could not be reached at all: the others would wait too
        )


@dataclass(frozen=True)
class Outgoing:
    notice_id: str
    channel: str  # sms, email
    to: str  # E.164 phone (sms) or e-mail address
    text: str  # the SMS, or the e-mail's plain-text part
    subject: str | None = None
    html: str | None = None  # the e-mail's HTML part
    unsubscribe_url: str | None = None


class Channels:
    """Sends each message by the sender of its channel."""

    def __init__(self, senders: dict, *, trial: bool = False):
        self.senders = dict(senders)
        self.trial = trial

    def has(self, channel: str) -> bool:
        return channel in self.senders

    def send(self, message: Outgoing) -> None:
        self.senders[message.channel].send(message)

    def forget(self, notice_ids, contacts) -> int:
        """Erasure: what a trial run wrote for them goes (real providers keep their own logs)."""
        from services.members.channels.outbox import OutboxFileSender

        return OutboxFileSender(config.notices_outbox()).forget(notice_ids, contacts)


def from_config(environ=None) -> Channels:
    environ = os.environ if environ is None else environ
    senders = {}
    if config.value_in("MAILLAGE_SMTP_URL", environ):
        from services.members.channels.email import SmtpSender

        senders["email"] = SmtpSender.from_environ(environ)
    if config.value_in("MAILLAGE_SMS_API_KEY", environ):
        from services.members.channels.sms import BrevoSmsSender

        senders["sms"] = BrevoSmsSender.from_environ(environ)
    if not senders:
        from services.members.channels.outbox import OutboxFileSender

        outbox = OutboxFileSender(config.notices_outbox())
        return Channels({"sms": outbox, "email": outbox}, trial=True)
    return Channels(senders)


_configured: tuple | None = None


def configured() -> Channels:
    """The channels of this process, built once per configuration, and said in the log."""
    global _configured
    key = tuple(
        config.raw(name)
        for name in (
            "MAILLAGE_SMTP_URL",
            "MAILLAGE_MAIL_FROM",
            "MAILLAGE_SMS_API_KEY",
            "MAILLAGE_SMS_SENDER",
            "MAILLAGE_SMS_BASE_URL",
            "MAILLAGE_NOTICES_OUTBOX",
            "MAILLAGE_DATA_DIR",
        )
    )
    if _configured is None or _configured[0] != key:
        channels = from_config()
        if channels.trial:
            log.warning(
                "trial run: no MAILLAGE_SMTP_URL nor MAILLAGE_SMS_API_KEY, "
                "notices are NOT sent but written to %s",
                config.notices_outbox(),
            )
        else:
            log.info(
                "notices sent by %s; %s",
                ", ".join(sorted(channels.senders)),
                "; ".join(
                    f"no {c} sender: those notices become calls"
                    for c in ("email", "sms")
                    if not channels.has(c)
                )
                or "every channel configured",
            )
        _configured = (key, channels)
    return _configured[1]
