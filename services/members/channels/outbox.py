"""The trial run's "channel": each message is written as one JSON line to a local file instead of
being sent (`MAILLAGE_NOTICES_OUTBOX`). Only the default when no real channel is configured."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

from backbone.clock import utcnow


class OutboxFileSender:
    def __init__(self, path: Path):
        self.path = Path(path)

    def send(self, message) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # an erasure may be rewriting the file (forget)
            out.write(
                json.dumps(
                    {
                        "notice_id": message.notice_id,
                        "channel": message.channel,
                        "to": message.to,
                        "subject": message.subject,
                        "text": message.text,
                        "at": utcnow().isoformat(),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )

    def forget(self, notice_ids, contacts) -> int:
        """Erasure: drop the lines of these notices or sent to these contacts (phone, e-mail);
        how many went. The file is rewritten in place under the lock `send` takes."""
        notice_ids, contacts = set(notice_ids), {c for c in contacts if c}
        if not self.path.exists() or not (notice_ids or contacts):
            return 0
        with self.path.open("r+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            lines = file.readlines()
            kept = [line for line in lines if not _names_them(line, notice_ids, contacts)]
            file.seek(0)
            file.writelines(kept)
            file.truncate()
        return len(lines) - len(kept)


def _names_them(line: str, notice_ids: set, contacts: set) -> bool:
    try:
        entry = json.loads(line)
    except ValueError:
        return any(c in line for c in contacts)
    return entry.get("notice_id") in notice_ids or entry.get("to") in contacts
