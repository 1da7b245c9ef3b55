"""Issue 21: a partner's endpoint that drips its answer or answers 200 MB must not stall the
others' deliveries. Each attempt has a total deadline and reads at most 64 KiB of the answer;
deliveries to different partners go out in parallel, at most MAILLAGE_WEBHOOK_PER_PARTNER at once
to one partner. Real local HTTP servers, the partners database on SQLite and PostgreSQL."""

import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backbone.schemas import load
from services.partners import deliveries, partners
from services.partners.models import Delivery, DeliveryAttempt
from services.partners.schemas import PartnerInput
from tests.support.webhooks import T0, record, scheduled, webhook

HUGE = 200 * 1024 * 1024


class RawServer:
    """A partner's endpoint on 127.0.0.1 that reads the request, then answers as `answer` does."""

    def __init__(self, answer):
        self.answer, self.requests, self.sent = answer, [], []
        self.accepted = []  # when each connection was taken: a connection is an attempt
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks"
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            conn, _ = self.sock.accept()
            self.accepted.append(time.monotonic())
            if self.stopped:  # closed here, by the thread that waits on it (eventlet wants it so)
                conn.close()
                self.sock.close()
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        sent = 0
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            length = int(request.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            body = request.split(b"\r\n\r\n", 1)[1]
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            self.requests.append(time.monotonic())
            sent = self.answer(conn)
        except OSError:
            pass
        finally:
            self.sent.append(sent)
            conn.close()

    def stop(self):
        self.stopped = True
        socket.create_connection(self.sock.getsockname(), timeout=5).close()


def drip(conn) -> int:
    """The status line, then a header a byte every 0.2 s, for 6 s (the
    socket timeout never fires)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    ends = time.monotonic() + 6
    while time.monotonic() < ends:
        conn.sendall(b"z")
        time.sleep(0.2)
    conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")
    return 0


def huge(conn) -> int:
    """200 OK and 200 MB of body, as fast as the reader takes them: bytes handed to the socket."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % HUGE
    )
    chunk, sent = b"0" * 65536, 0
    try:
        while sent < HUGE:
            conn.sendall(chunk)
            sent += len(chunk)
    except OSError:  # the reader hung up: what it did not want was never sent
        pass
    return sent


@pytest.mark.alone  # a wall-clock bound
def test_a_dripping_or_huge_endpoint_does_not_stall_the_other_partners(
    webhook_world, endpoint, monkeypatch
):
    database, villages, ids = webhook_world
    monkeypatch.setenv("MAILLAGE_WEBHOOK_TIMEOUT", "1")
    monkeypatch.setenv("MAILLAGE_WEBHOOK_DEADLINE", "1.5")
    monkeypatch.setenv("MAILLAGE_WEBHOOK_PER_PARTNER", "1")
    with database.unit_of_work() as uow:
        prompt_id = partners.register_partner(
            uow,
            load(
                PartnerInput(),
                {"name": "Partenaire rapide", "kind": "producer", "village_ids": [villages[0]]},
            ),
        )["partner"]["id"]
    slow, big = RawServer(drip), RawServer(huge)
    prompt = endpoint()
    webhook(database, ids["a"], slow.url)
    webhook(database, ids["net"], big.url)
    arrived = []
    monkeypatch.setattr(prompt, "_on_event", lambda envelope: arrived.append(time.monotonic()))
    prompt.up(webhook(database, prompt_id, prompt.url)["secret"])
    for _ in range(2):
        record(database, scheduled(villages[0]))
    with database.unit_of_work() as uow:  # the prompt partner's deliveries fall due last
        uow.session.execute(
            update(Delivery)
            .where(Delivery.partner_id == prompt_id)
            .values(next_attempt_at=T0 + timedelta(seconds=1))
        )
        uow.commit()

    began = time.monotonic()
    try:
        assert deliveries.send_due(database, now=T0 + timedelta(seconds=2)) == 6
    finally:
        slow.stop()
        big.stop()
    # the prompt partner had both while the slow one was still being waited for (one attempt: 1.5 s)
    assert len(arrived) == 2 and max(arrived) - began < 1.0, [round(t - began, 2) for t in arrived]

    with database.unit_of_work() as uow:
        by_partner = {}
        for delivery in uow.session.scalars(select(Delivery)):
            attempts = uow.session.scalars(
                select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id)
            )
            by_partner.setdefault(delivery.partner_id, []).append((delivery, list(attempts)))
    for delivery, [attempt] in by_partner[ids["a"]]:  # cut at the deadline, tried again later
        assert delivery.status == "pending" and "deadline" in delivery.last_error
        assert 1400 <= attempt.duration_ms < 3000
    # one delivery at a time to one partner (MAILLAGE_WEBHOOK_PER_PARTNER=1): the second attempt
    # begins when the first is cut at its 1.5 s deadline, not beside it (0 s apart). The margin is
    # the server threads' scheduling on a loaded machine (a few tenths of a second).
    first, second = slow.accepted[:2]
    assert len(slow.requests) == 2 and second - first >= 1.0, (slow.accepted, slow.requests)
    for delivery, [attempt] in by_partner[
        ids["net"]
    ]:  # 200 answered: delivered, without reading 200 MB
        assert delivery.status == "delivered" and attempt.status_code == 200
    assert len(big.sent) == 2 and max(big.sent) < HUGE // 4, big.sent
    assert [d.status for d, _ in by_partner[prompt_id]] == ["delivered", "delivered"]
