"""Notices that really reach people (members/notices.py, members/channels/), on SQLite and
PostgreSQL: e-mail to a real SMTP server (aiosmtpd, its own process), STARTTLS when offered and
never a password in clear; SMS in Brevo's documented request shape to a local HTTP server that
fails then recovers (each message once); no SMS in the quiet hours (fixed clock); a provider that
keeps failing parks the notice onto the call list and the delivery log says why; the templates
are files the network can replace; `order.ready` tells the member where and with which code; the
opt-out link withdraws the consent to be contacted."""

import email
import email.policy
import json
import socket
import subprocess
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import InvalidInput
from backbone.schemas import load
from services.members import channels, notices, opt_out, people, villages
from services.members.channels.email import SmtpSender, parse_smtp_url
from services.members.models import Notice
from services.members.schemas import OpeningHoursInput, VillageInput
from services.members.schemas.people import MemberInput
from services.partners import audience
from tests.support.metrics import sample

PARIS = ZoneInfo("Europe/Paris")
VILLAGE = {
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "fixed",
    "population": 800,
    "street": "2 place de l'Église",
}
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)  # 10:00 in Paris, a Tuesday


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("MAILLAGE_OPT_OUT_SECRET", "test-opt-out-secret")
    monkeypatch.setenv("MAILLAGE_PUBLIC_URL", "https://maillage.example.org")


@pytest.fixture
def world(service_db):
    database = service_db("members")
    with database.unit_of_work() as uow:
        village = villages.open_village(uow, load(VillageInput(), VILLAGE))["id"]
        villages.set_opening_hours(
            uow,
            village,
            load(
                OpeningHoursInput(),
                {
                    "weekly": [
                        {"day": "tuesday", "opens": "14:00", "closes": "18:00"},
                        {"day": "saturday", "opens": "09:00", "closes": "12:00"},
                    ]
                },
            ),
        )
    who = {}
    for key, extra in [
        (
            "email",
            {"email": "jeanne@example.org", "preferred_channel": "email", "consents": ["contact"]},
        ),
        ("sms", {"phone": "06 39 98 10 01", "preferred_channel": "sms", "consents": ["contact"]}),
        ("sms2", {"phone": "07 39 98 10 02", "preferred_channel": "sms", "consents": ["contact"]}),
    ]:
        with database.unit_of_work() as uow:
            who[key] = people.register_member(
                uow,
                load(
                    MemberInput(),
                    {"village_id": village, "first_name": "Personne", "last_name": key, **extra},
                ),
            )["id"]
    return database, village, who


def parcel_received(member_id, village_id, *, code="4821"):
    return parse_envelope(
        build_envelope(
            "parcel.received",
            {
                "parcel_id": str(uuid.uuid4()),
                "village_id": village_id,
                "sender_kind": "la_poste",
                "place_kind": "shelf",
                "occurred_at": NOW,
                "member_id": member_id,
                "pickup_code": code,
            },
            village_id=village_id,
            source="orders",
        )
    )


def order_ready(member_id, village_id, **extra):
    return parse_envelope(
        build_envelope(
            "order.ready",
            {
                "order_id": str(uuid.uuid4()),
                "village_id": village_id,
                "status": "ready",
                "fulfilment": "locker",
                "delivery_date": date(2026, 12, 1),
                "partner_ids": [],
                "total_cents": 1250,
                "occurred_at": NOW,
                "member_id": member_id,
                **extra,
            },
            village_id=village_id,
            source="orders",
        )
    )


def tell(database, record, event):
    with database.unit_of_work() as uow:
        record(uow, event)
        uow.commit()


def rows(database):
    with database.unit_of_work() as uow:
        return {n.member_id: n for n in uow.session.scalars(select(Notice))}


# --- a real SMTP server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_an_email_reaches_a_real_smtp_server_with_text_html_and_the_opt_out_link(
    world, smtp_server, monkeypatch
):
    database, village, who = world
    port, received = smtp_server()
    monkeypatch.setenv("MAILLAGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv(
        "MAILLAGE_MAIL_FROM", "Conciergerie Maillage <conciergerie@maillage.example.org>"
    )
    sender = channels.from_config()
    assert not sender.trial and sender.has("email") and not sender.has("sms")
    tell(database, notices.record_parcel_received, parcel_received(who["email"], village))
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, sender, NOW) == 1
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, sender, NOW + timedelta(hours=1)) == 0  # once
    [got] = received()
    assert (
        got["rcpt_tos"] == ["jeanne@example.org"]
        and got["mail_from"] == "conciergerie@maillage.example.org"
    )
    message = email.message_from_string(got["data"], policy=email.policy.default)
    assert message["Subject"] == "Un colis vous attend à Peyrelevade"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Code de retrait : 4821" in text and "<strong>4821</strong>" in html
    link = f"https://maillage.example.org/desabonnement?jeton={opt_out.token_for(who['email'])}"
    assert message["List-Unsubscribe"] == f"<{link}>"
    assert link in text and f'href="{link}"' in html
    # the SMS person has no sender configured (only SMTP is): the concierge calls them
    tell(database, notices.record_parcel_received, parcel_received(who["sms"], village))
    with database.unit_of_work() as uow:
        notices.send_pending(uow, sender, NOW)
    assert rows(database)[who["sms"]].channel == "call"


def test_starttls_when_offered_and_no_password_in_clear(
    world, smtp_server, certificate, monkeypatch
):
    database, village, who = world
    cert, key = certificate
    port, received = smtp_server("--tls", str(cert), str(key), "--auth", "maillage:s3cr%t")
    message = channels.Outgoing("n1", "email", "jeanne@example.org", "Bonjour", subject="Essai")
    secure = SmtpSender(
        parse_smtp_url(f"smtp://maillage:s3cr%25t@localhost:{port}"),
        "conciergerie@example.org",
        cafile=str(cert),
    )
    secure.send(message)
    [got] = received()
    assert got["tls"] is True and got["login"] == "maillage"
    # a server that offers no STARTTLS never gets the password
    plain_port, plain_received = smtp_server()
    plain = SmtpSender(
        parse_smtp_url(f"smtp://maillage:s3cr%25t@127.0.0.1:{plain_port}"),
        "conciergerie@example.org",
    )
    with pytest.raises(channels.SendFailed) as refused:
        plain.send(message)
    assert "STARTTLS" in refused.value.reason and plain_received() == []
    with pytest.raises(ValueError, match="MAILLAGE_SMTP_URL"):
        parse_smtp_url("http://example.org")
    with pytest.raises(ValueError, match="MAILLAGE_MAIL_FROM"):
        SmtpSender(parse_smtp_url("smtp://relay:25"), "nobody")


def test_an_smtp_server_that_refuses_then_takes_delivers_once(world, smtp_server, monkeypatch):
    database, village, who = world
    port, received = smtp_server("--fail", "1")
    monkeypatch.setenv("MAILLAGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("MAILLAGE_MAIL_FROM", "conciergerie@maillage.example.org")
    tell(database, notices.record_parcel_received, parcel_received(who["email"], village))
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.from_config(), NOW) == 0
    notice = rows(database)[who["email"]]
    assert notice.attempts == 1 and notice.last_error.startswith("SMTP 451")
    with database.unit_of_work() as uow:
        assert (
            notices.send_pending(uow, channels.from_config(), NOW + timedelta(seconds=30)) == 0
        )  # pausing
        assert notices.send_pending(uow, channels.from_config(), NOW + timedelta(minutes=1)) == 1
        assert notices.send_pending(uow, channels.from_config(), NOW + timedelta(hours=2)) == 0
    assert len(received()) == 1 and rows(database)[who["email"]].status == "sent"


def test_an_unreachable_smtp_server_costs_one_attempt_per_run_not_one_per_message(
    world, monkeypatch
):
    database, village, who = world
    monkeypatch.setenv("MAILLAGE_SMTP_URL", f"smtp://127.0.0.1:{_free_port()}")  # nobody listens
    monkeypatch.setenv("MAILLAGE_MAIL_FROM", "conciergerie@maillage.example.org")
    for _ in range(3):
        tell(database, notices.record_parcel_received, parcel_received(who["email"], village))
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.from_config(), NOW) == 0
    with database.unit_of_work() as uow:
        told = uow.session.scalars(select(Notice).order_by(Notice.created_at, Notice.id)).all()
        assert sorted(n.attempts for n in told) == [0, 0, 1]
        assert all(n.status == "to_send" and n.channel == "email" for n in told)
        assert next(n for n in told if n.attempts).last_error.startswith(
            "SMTP: ConnectionRefusedError"
        )


# --- Brevo's transactional SMS API, served locally (`brevo`: tests/services/conftest.py) -------


def test_brevo_fails_then_recovers_and_each_sms_is_delivered_once(world, brevo, sms_config):
    database, village, who = world
    sender = channels.from_config()
    assert sender.has("sms") and not sender.has("email")
    tell(
        database, notices.record_parcel_received, parcel_received(who["sms"], village, code="7305")
    )
    tell(
        database, notices.record_parcel_received, parcel_received(who["sms2"], village, code="1188")
    )
    brevo["fail"] = 3  # both fail once, the first fails again
    at = NOW
    for _ in range(6):
        with database.unit_of_work() as uow:
            notices.send_pending(uow, sender, at)
        at += timedelta(minutes=2)
    delivered = [r for r in brevo["requests"] if r["body"]["content"]]
    assert len(delivered) == 5  # three failures, then each message once
    first = delivered[0]
    assert first["path"] == "/v3/transactionalSMS/sms" and first["api_key"] == "xkeysib-test"
    assert first["content_type"] == "application/json"
    assert {k: first["body"][k] for k in ("sender", "type")} == {
        "sender": "Maillage",
        "type": "transactional",
    }
    ok = brevo["requests"][3:]
    assert sorted(r["body"]["recipient"] for r in ok) == ["33639981001", "33739981002"]
    assert any("Code de retrait : 7305" in r["body"]["content"] for r in ok)
    told = rows(database)
    assert {n.status for n in told.values()} == {"sent"}
    assert sorted(n.attempts for n in told.values()) == [1, 2]


def test_no_sms_between_20h_and_8h_paris_it_waits_for_8h(world, brevo, sms_config):
    database, village, who = world
    evening = datetime(2026, 12, 1, 21, 30, tzinfo=PARIS)
    tell(database, notices.record_parcel_received, parcel_received(who["sms"], village))
    for at in (evening, datetime(2026, 12, 2, 7, 59, tzinfo=PARIS)):
        with database.unit_of_work() as uow:
            assert notices.send_pending(uow, channels.from_config(), at.astimezone(UTC)) == 0
    assert brevo["requests"] == []
    notice = rows(database)[who["sms"]]
    assert notice.next_attempt_at == datetime(2026, 12, 2, 8, tzinfo=PARIS) and notice.attempts == 0
    with database.unit_of_work() as uow:
        assert (
            notices.send_pending(
                uow,
                channels.from_config(),
                datetime(2026, 12, 2, 8, tzinfo=PARIS).astimezone(UTC),
            )
            == 1
        )
    assert len(brevo["requests"]) == 1
    # in summer too (UTC+2), and an e-mail is not held back
    assert notices.sms_allowed_from(datetime(2026, 7, 1, 5, 59, tzinfo=UTC)) == datetime(
        2026, 7, 1, 8, tzinfo=PARIS
    )
    assert notices.sms_allowed_from(datetime(2026, 7, 1, 6, 0, tzinfo=UTC)) == datetime(
        2026, 7, 1, 6, 0, tzinfo=UTC
    )


def test_a_provider_that_keeps_failing_parks_the_notice_onto_the_call_list(
    world, brevo, sms_config, monkeypatch
):
    database, village, who = world
    monkeypatch.setenv("MAILLAGE_NOTICE_MAX_ATTEMPTS", "3")
    brevo["fail"] = 100
    tell(database, notices.record_parcel_received, parcel_received(who["sms"], village))
    failed = sample("maillage_notices_total", channel="sms", outcome="failed")
    parked = sample("maillage_notices_total", channel="sms", outcome="parked")
    at, pauses = NOW, []
    for _ in range(10):
        with database.unit_of_work() as uow:
            notices.send_pending(uow, channels.from_config(), at)
        notice = rows(database)[who["sms"]]
        if notice.next_attempt_at:
            pauses.append(notice.next_attempt_at - at)
            at = notice.next_attempt_at
    assert len(brevo["requests"]) == 3 and pauses == [timedelta(minutes=1), timedelta(minutes=2)]
    assert notice.channel == "call" and notice.status == "to_send" and notice.parked_at is not None
    assert sample("maillage_notices_total", channel="sms", outcome="failed") - failed == 2
    assert sample("maillage_notices_total", channel="sms", outcome="parked") - parked == 1
    with database.unit_of_work() as uow:
        calls = notices.list_notices(uow, village, "to_send")
        log = notices.delivery_log(uow, village)
        parked = notices.delivery_log(uow, village, "parked")
    assert [(c["member_id"], c["channel"]) for c in calls] == [(who["sms"], "call")]
    assert [line["notice_id"] for line in parked] == [notice.id]
    [line] = log
    assert line["outcome_label"] == "abandonné après plusieurs échecs : à appeler"
    assert (
        line["attempts"] == 3
        and "HTTP 502" in line["why"]
        and line["source_label"] == "colis arrivé"
    )


# --- what is said ---------------------------------------------------------------------------------


def test_order_ready_tells_where_when_and_the_locker_code_and_partners_never_see_it(
    world, monkeypatch
):
    database, village, who = world
    monkeypatch.setattr(notices, "utcnow", lambda: NOW)  # Tuesday 10:00: opens at 14:00
    event = order_ready(who["sms"], village, locker_compartment="B3", locker_code="482913")
    tell(database, notices.record_order_ready, event)
    # the same order told again under another event id: not twice
    tell(
        database,
        notices.record_order_ready,
        parse_envelope(
            build_envelope("order.ready", event["payload"], village_id=village, source="orders")
        ),
    )
    tell(database, notices.record_order_ready, order_ready(None, village))  # an older event: nobody
    [notice] = rows(database).values()
    assert notice.member_id == who["sms"] and notice.source_type == "order.ready"
    assert "casier n° B3, code 482913" in notice.message and "de Peyrelevade" in notice.message
    assert "Prochaine ouverture : mardi 01/12 à 14h00" in notice.message
    context = json.loads(notice.context)
    assert context["hours"] == ["mardi 14h00–18h00", "samedi 09h00–12h00"]
    assert context["place"] == "2 place de l'Église, 19290 Peyrelevade"
    seen = audience.project(event, "partner-1")["payload"]
    assert not {"member_id", "locker_code", "locker_compartment"} & set(seen)


def test_templates_are_files_the_network_can_replace(world, tmp_path, monkeypatch):
    database, village, who = world
    (tmp_path / "notices").mkdir()
    (tmp_path / "notices" / "parcel_received.txt").write_text(
        "Bonjour ! Votre colis est arrivé ({{ pickup_code }}). À bientôt à {{ village_name }}."
    )
    monkeypatch.setenv("MAILLAGE_TEMPLATES_DIR", str(tmp_path))
    tell(
        database, notices.record_parcel_received, parcel_received(who["sms"], village, code="9911")
    )
    assert (
        rows(database)[who["sms"]].message
        == "Bonjour ! Votre colis est arrivé (9911). À bientôt à Peyrelevade."
    )


def test_the_opt_out_link_withdraws_the_consent_to_be_contacted(world):
    database, village, who = world
    token = opt_out.token_for(who["email"])
    # The signature's first character always carries six bits of it (its last ones may not):
    # changing it must break the signature, whatever the token.
    signature_at = token.rindex(".") + 1
    other = "A" if token[signature_at] != "A" else "B"
    forged_token = token[:signature_at] + other + token[signature_at + 1 :]
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as forged:
        opt_out.withdraw_contact(uow, forged_token)
    assert "token" in forged.value.errors
    with database.unit_of_work() as uow:
        assert opt_out.withdraw_contact(uow, opt_out.token_for(who["email"])) == {"withdrawn": True}
    with database.unit_of_work() as uow:
        assert opt_out.withdraw_contact(uow, opt_out.token_for(who["email"])) == {
            "withdrawn": False
        }
    tell(database, notices.record_parcel_received, parcel_received(who["email"], village))
    assert rows(database)[who["email"]].channel == "call", "no more e-mails: the concierge calls"


def test_a_trial_run_writes_to_the_file_and_says_so(monkeypatch, tmp_path, caplog):
    for name in ("MAILLAGE_SMTP_URL", "MAILLAGE_SMS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAILLAGE_NOTICES_OUTBOX", str(tmp_path / "outbox.jsonl"))
    caplog.set_level("WARNING", logger="maillage.members.channels")
    configured = channels.configured()
    assert configured.trial and configured.has("sms") and configured.has("email")
    assert "trial run" in caplog.text and "outbox.jsonl" in caplog.text
    with pytest.raises(ValueError, match="MAILLAGE_SMS_SENDER"):
        channels.from_config(
            {"MAILLAGE_SMS_API_KEY": "k", "MAILLAGE_SMS_SENDER": "Beaucoup trop long"}
        )
