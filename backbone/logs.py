"""How every process logs: one JSON object per line (`MAILLAGE_LOG_FORMAT=json`, the default in
production) or a line of text for a developer's terminal (`text`, the default of a trial run).

A JSON line has `time` (ISO 8601, UTC), `level`, `logger`, `service` (the nameko service whose
worker logged it, else the process), `message`, and where known `correlation_id` (the gateway's
request id, carried by RPC calls and by the events it caused), `event_id` and `village_id`; an
error adds `exception` (its traceback). Anything given as `extra=` is a field too (the gateway's
access line: method, path, status, duration_ms).

The handler filters every record through backbone/log_privacy.py (ids, never names, phones or
e-mails) before formatting it. The worker's context comes from the `LogContext` dependency
(backbone/log_context.py), which `bind`s it for the worker's green thread.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

from backbone import config
from backbone.log_privacy import PrivateDataFilter

CONTEXT_FIELDS = ("correlation_id", "event_id", "village_id")
_context: contextvars.ContextVar[dict] = contextvars.ContextVar("maillage_log_context")


def bind(**values) -> contextvars.Token:
    """Adds `values` (None ones left out) to what this thread's (green thread's) log lines carry;
    `unbind(token)` puts the former context back."""
    return _context.set({**_context.get({}), **{k: v for k, v in values.items() if v is not None}})


def unbind(token: contextvars.Token) -> None:
    try:
        _context.reset(token)
    except ValueError:  # set in another context (a worker torn down elsewhere): nothing to undo
        pass


def current() -> dict:
    return dict(_context.get({}))


def process_name(argv: list[str] | None = None) -> str:
    """What the process runs, from its command line: `members` for `nameko run … services.members
    .service:MembersService`, `gateway`, `members+orders` for several services in one process
    (`maillage run --compact`), `relay members` for `maillage relay members`, else the command."""
    argv = sys.argv if argv is None else argv
    program = os.path.basename(argv[0]) if argv else "python"
    if program == "nameko" or (len(argv) > 1 and "nameko" in argv[0]):
        names = [
            arg.split(":")[0].removesuffix(".service").rsplit(".", 1)[-1]
            for arg in argv[1:]
            if ":" in arg and not arg.startswith("-")
        ]
        return "+".join(names) or "nameko"
    if program != "maillage" and not argv[0].endswith(os.path.join("maillage", "cli.py")):
        return program
    words = [arg for arg in argv[1:] if not arg.startswith("-")]
    if words and words[0] == "relay":
        return " ".join(words)
    return f"maillage {words[0]}" if words else "maillage"


PROCESS = process_name()


class ContextFilter(logging.Filter):
    """Gives each record the fields of its context (what `bind` set) and the service."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get({})
        for key in (*CONTEXT_FIELDS, "service"):
            if getattr(record, key, None) is None:
                setattr(record, key, context.get(key))
        if record.service is None:
            record.service = PROCESS
        return True


class JsonLines(JsonFormatter):
    """One JSON object per line, in the field names above, UTF-8 as written (not \\u escapes)."""

    def __init__(self):
        super().__init__(
            ["levelname", "name", "service", "message"],
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
            json_ensure_ascii=False,
        )

    def add_fields(self, log_data, record, message_dict):
        log_data["time"] = (
            datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        super().add_fields(log_data, record, message_dict)

    def process_log_record(self, log_data):
        return {key: value for key, value in log_data.items() if value is not None}


class TextLines(logging.Formatter):
    """`2026-12-05 10:00:00,123 INFO maillage.gateway [gateway 3f2a…]: message`."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(where)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        known = [record.service] + [
            f"{key.split('_')[0]}={getattr(record, key)}"
            for key in CONTEXT_FIELDS
            if getattr(record, key, None)
        ]
        record.where = "[" + " ".join(str(part) for part in known if part) + "]"
        return super().format(record)


def formatter(kind: str | None = None) -> logging.Formatter:
    return JsonLines() if (kind or config.log_format()) == "json" else TextLines()


def console_handler() -> logging.Handler:
    """The one handler of every process (stderr): privacy filter, context, chosen format.

    deploy/nameko.yaml's LOGGING names it as its handler factory: it is the first code of ours a
    nameko process runs, so it checks the whole configuration first (backbone/config.py) and
    stops the process with one line per bad variable."""
    # the gateway signs tokens: in production its secret must be given (backbone/config.py)
    config.check_or_exit(required=("GATEWAY_SECRET",) if "gateway" in PROCESS else ())
    handler = logging.StreamHandler()
    handler.addFilter(PrivateDataFilter())
    handler.addFilter(ContextFilter())
    handler.setFormatter(formatter())
    return handler


def configure(level: str | None = None) -> None:
    """Logging of a process that is not started by nameko (the `maillage` command, relays): the
    configuration checked, then our handler, unless the process already logs somewhere (as
    `logging.basicConfig`: a test runner calling the command keeps its own)."""
    handler = console_handler()
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(level or config.log_level())
    logging.getLogger("pika").setLevel(logging.WARNING)
