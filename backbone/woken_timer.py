"""`@woken_timer(interval, woken_by=...)`: a nameko timer that runs as soon as a commit of this
service wrote a row it has work for, and otherwise sleeps. A sender of due rows (partners'
deliveries, members' notices) that only looked on a short interval would make each row wait up to
that interval, and would spend CPU on every look while nothing is due (~1.4 ms a look); woken by
the commit, a row leaves at once and an idle service looks for nothing:

- a commit through the service's `db` that flushed a row `woken_by` names wakes the timer once the
  transaction is committed (a rolled-back one wakes nothing). `woken_by` is a model, or a
  `(model, test)` pair for rows that count only in some states (a delivery made due again);
- the method may return the seconds until its next row falls due (a retry planned for later): the
  timer then runs again at that time, if sooner than `interval`;
- `interval` (seconds, or a function giving them, read at start) stays as the fallback, for rows
  written by another process (another replica wakes its own timer) or around the ORM (Core
  statements are not seen).

A wake while the method runs makes it run again after it, so none is lost; runs are at least
`min_gap` (0.1 s) apart, so that a busy service's many commits are taken a few at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import eventlet
from eventlet import Timeout
from eventlet.event import Event
from sqlalchemy import event

from backbone.dependencies import DatabaseProvider
from backbone.timer import Timer


class WokenTimer(Timer):
    def __init__(self, interval: float, woken_by=None, min_gap: float = 0.1, **kwargs):
        model, test = woken_by if isinstance(woken_by, tuple) else (woken_by, None)
        self.woken_by: type | None = model
        self.counts: Callable[[object], bool] = test or (lambda _row: True)
        self.min_gap = min_gap
        self._bell = Event()
        self._stopping = False
        self._next_in: float | None = None
        self._flag = f"woken_timer.{id(self)}"
        self._listening = None
        super().__init__(interval, **kwargs)

    # --- started and stopped with the container ---

    def setup(self):
        if callable(self.interval):  # read from the configuration when the service starts
            self.interval = self.interval()
        super().setup()

    def start(self):
        if self.woken_by is not None:
            self._listen(self._database().session_factory)
        super().start()

    def stop(self):
        self._stopping = True
        if self.gt is not None:  # else never started
            self.wake()
            self.gt.wait()
        self._unlisten()

    def kill(self):
        super().kill()
        self._unlisten()

    def _database(self):
        for dependency in self.container.dependencies:
            if isinstance(dependency, DatabaseProvider):
                return dependency.database
        raise TypeError(
            f"{self.container.service_name}.{self.method_name}: woken_by needs the service's "
            f"database, declared as `db = DatabaseProvider(...)`"
        )

    # --- what wakes it ---

    def wake(self) -> None:
        if not self._bell.ready():
            self._bell.send()

    def _listen(self, sessions) -> None:
        def after_flush(session, _context):
            if any(
                isinstance(row, self.woken_by) and self.counts(row)
                for row in (*session.new, *session.dirty)
            ):
                session.info[self._flag] = True

        def after_commit(session):
            if session.info.pop(self._flag, False):
                self.wake()

        def after_soft_rollback(session, _previous_transaction):
            session.info.pop(self._flag, None)

        self._listening = (
            sessions,
            [
                ("after_flush", after_flush),
                ("after_commit", after_commit),
                ("after_soft_rollback", after_soft_rollback),
            ],
        )
        for name, listener in self._listening[1]:
            event.listen(sessions, name, listener)

    def _unlisten(self) -> None:
        if self._listening is None:
            return
        sessions, listeners = self._listening
        self._listening = None
        for name, listener in listeners:
            event.remove(sessions, name, listener)

    # --- the loop ---

    def _run(self):
        wait = 0 if self.eager else self.interval
        while True:
            with Timeout(wait, exception=False):
                self._bell.wait()
            if self._bell.ready():
                self._bell.reset()
            if self._stopping:
                break
            self._next_in = None
            self.handle_timer_tick()
            self.worker_complete.wait()
            self.worker_complete.reset()
            eventlet.sleep(self.min_gap)  # a wake meanwhile keeps the bell rung
            wait = self.interval if self._next_in is None else min(self.interval, self._next_in)
            wait = max(0.0, wait - self.min_gap)

    def handle_result(self, worker_ctx, result, exc_info):
        if exc_info is None and isinstance(result, int | float) and not isinstance(result, bool):
            self._next_in = max(0.0, float(result))
        return super().handle_result(worker_ctx, result, exc_info)


woken_timer = WokenTimer.decorator
