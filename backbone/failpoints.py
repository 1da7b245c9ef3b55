"""Named crash points for reliability tests: `MAILLAGE_FAILPOINTS=relay.before_publish` makes the
process kill itself (SIGKILL, no clean-up) the first time it reaches that point. Unset in
production; a no-op then."""

import os
import signal

from backbone import config

_ARMED = set(config.value("MAILLAGE_FAILPOINTS"))


def hit(name: str) -> None:
    if name in _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
