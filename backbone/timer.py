"""nameko's timer, which a container may kill or stop before it started it: a container built and
never started (a test's, one whose start failed), a process stopped while it starts. nameko's own
timer then fails on its greenthread, not made yet, and the container logs and prints that failure
for each of its timers. Every timer of the services is this one, or built on it
(backbone/retention.py, backbone/woken_timer.py)."""

from __future__ import annotations

from nameko.timer import Timer as NamekoTimer


class Timer(NamekoTimer):
    def stop(self):
        if self.gt is not None:  # else never started: nothing runs
            super().stop()

    def kill(self):
        if self.gt is not None:
            super().kill()


timer = Timer.decorator
