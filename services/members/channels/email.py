"""E-mail over SMTP (the standard library's smtplib).

`MAILLAGE_SMTP_URL`:
- `smtp://relay.local:25`: a local relay, no password;
- `smtp://user:password@host:587`: STARTTLS whenever the server offers it; a password is never
  sent over a connection that is not encrypted (refused: the message waits and the log says why);
- `smtps://user:password@host:465`: TLS from the first byte.
The user and password are percent-encoded in the URL (`%40` for @). `MAILLAGE_MAIL_FROM` is the
sender's address; `MAILLAGE_SMTP_CA_FILE` a CA bundle when the server's certificate is signed by
a private authority; `MAILLAGE_SMTP_TIMEOUT` (seconds, 20)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from backbone import config
from services.members.channels import Outgoing, SendFailed

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class SmtpSettings:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpSettings:
    """The settings of `MAILLAGE_SMTP_URL`, or ValueError naming the variable."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(
            "MAILLAGE_SMTP_URL: expected smtp://[user:password@]host[:port] or smtps://…"
        )
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise ValueError(f"MAILLAGE_SMTP_URL: bad port ({exc})") from None
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if user and password is None:
        raise ValueError("MAILLAGE_SMTP_URL: a user without a password")
    return SmtpSettings(parts.scheme, parts.hostname, port, user, password)


def build_message(message: Outgoing, mail_from: str) -> EmailMessage:
    """Plain text and HTML (multipart/alternative), with the opt-out link in `List-Unsubscribe`."""
    mail = EmailMessage()
    mail["From"] = mail_from
    mail["To"] = message.to
    mail["Subject"] = message.subject or "Maillage"
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(
        idstring=message.notice_id, domain=parseaddr(mail_from)[1].rpartition("@")[2] or None
    )
    if message.unsubscribe_url:
        # a page with a button, not one-click (RFC 8058): the gateway takes JSON bodies only
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail


class SmtpSender:
    def __init__(
        self,
        settings: SmtpSettings,
        mail_from: str,
        *,
        cafile: str | None = None,
        timeout: float = 20,
    ):
        if "@" not in parseaddr(mail_from)[1]:
            raise ValueError(
                "MAILLAGE_MAIL_FROM: an e-mail address is needed, e.g. "
                "Maillage <conciergerie@example.org>"
            )
        self.settings, self.mail_from, self.timeout = settings, mail_from, timeout
        self.tls = ssl.create_default_context(cafile=cafile)

    @classmethod
    def from_environ(cls, environ) -> SmtpSender:
        return cls(
            parse_smtp_url(config.value_in("MAILLAGE_SMTP_URL", environ)),
            config.value_in("MAILLAGE_MAIL_FROM", environ) or "",
            cafile=str(config.value_in("MAILLAGE_SMTP_CA_FILE", environ) or "") or None,
            timeout=config.value_in("MAILLAGE_SMTP_TIMEOUT", environ),
        )

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.scheme == "smtps":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=self.tls)
        return smtplib.SMTP(s.host, s.port, timeout=self.timeout)

    def send(self, message: Outgoing) -> None:
        mail = build_message(message, self.mail_from)
        try:
            with self._connect() as smtp:
                smtp.ehlo()
                encrypted = self.settings.scheme == "smtps"
                if not encrypted and smtp.has_extn("starttls"):
                    smtp.starttls(context=self.tls)
                    smtp.ehlo()
                    encrypted = True
                if self.settings.user:
                    if not encrypted:
                        raise SendFailed(
                            "le serveur SMTP ne propose pas STARTTLS : le mot de passe n'est pas "
                            "envoyé en clair / no STARTTLS offered, password not sent in clear"
                        )
                    smtp.login(self.settings.user, self.settings.password)
                refused = smtp.send_message(mail)
        except SendFailed:
            raise
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}") from None
        except smtplib.SMTPException as exc:
            raise SendFailed(f"SMTP: {type(exc).__name__}: {exc}") from None
        except OSError as exc:  # refused, timed out, no route, TLS handshake
            raise SendFailed(f"SMTP: {type(exc).__name__}: {exc}", unreachable=True) from None
        if refused:
            raise SendFailed(f"SMTP: recipient refused: {refused}")


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
