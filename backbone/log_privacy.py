"""Logs carry ids, never names, phones, e-mails, addresses or search terms (docs/rgpd.md).

Our own log calls name records by id. Two things write what we do not choose, and are filtered here
by `PrivateDataFilter` (on every handler of deploy/nameko.yaml's LOGGING):
- nameko logs each refused RPC (an *expected* error) as a warning with the exception's arguments
  and traceback, and a duplicate's `Conflict` carries the name it clashes with: the line keeps the
  error's type and code at INFO, the arguments and traceback go (the caller got them, as a 4xx;
  the log needs no copy);
- tracebacks and messages from libraries (an SMTP server's refusal quotes the address, an SMS
  provider's answer the number): e-mail addresses and phone numbers are masked in every line.
The gateway's access log drops query strings itself (gateway/access_log.py), and SQLAlchemy is told
to keep statement parameters out of its errors (backbone/db.py).
"""

from __future__ import annotations

import logging
import re

MASK = "[…]"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French numbers as typed (05 55 12 34 56, 05.55.12.34.56) and international ones (+33555123456,
# +33 5 55 12 34 56, 0033…); not a UUID's last group nor an IP address (no letter, dot or hyphen
# right before, and the shapes differ)
PHONE = re.compile(
    r"(?<![\w.+-])(?:(?:\+|00)\d{1,3}(?:[ .-]?\d){8,12}|0\d(?:[ .-]?\d{2}){4})(?![\w-])"
)


def mask_contacts(text: str) -> str:
    """`text` with e-mail addresses and phone numbers masked."""
    return PHONE.sub(MASK, EMAIL.sub(MASK, text))


class PrivateDataFilter(logging.Filter):
    """Rewrites each record before any handler formats it (see the module's docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "nameko.containers" and str(record.msg).startswith("(expected)"):
            worker, exc = (
                (tuple(record.args) + (None, None))[:2]
                if isinstance(record.args, tuple)
                else (None, None)
            )
            record.msg, record.args = (
                "(expected) error handling worker %s: %s",
                (worker, _kind(exc)),
            )
            record.exc_info, record.exc_text = None, None
            # the caller's mistake, answered as a 4xx: one line at INFO, not a warning
            record.levelno, record.levelname = logging.INFO, "INFO"
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a malformed record is logging's own error to report
            return True
        record.msg, record.args = mask_contacts(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_contacts(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_contacts(record.exc_text)
        return True


def _kind(exc) -> str:
    """An expected error by its type and code only (`Conflict duplicate_member`)."""
    if exc is None:
        return "?"
    code = getattr(exc, "reason", None) or getattr(exc, "what", None)
    return f"{type(exc).__name__} {code}" if isinstance(code, str) else type(exc).__name__
