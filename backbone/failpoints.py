"""Named crash points for reliability tests: `MAILLAGE_FAILPOINTS=relay.before_publish` makes the
process kill itself (SIGKILL, no clean-up) the first time it reaches that point. Unset in
production; a no-op then."""

import os
import signal

_ARMED = {
    name.strip() for name in os.environ.get("MAILLAGE_FAILPOINTS", "").split(",") if name.strip()
}


def hit(name: str) -> None:
    if name in _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
