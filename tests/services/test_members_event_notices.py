"""The notices made from other services' events (members/notices.py), on SQLite and PostgreSQL: a
parcel returned to its sender and the reminders of a parcel still waiting (fixed clocks), an
animation's registration, waiting list, promotion and reminder of the day before, a campaign's
pledge thanks and its closing; each once per event and member whatever the redeliveries, by the
channel the member's consents and contacts allow (a real SMTP server, the local Brevo server,
no SMS in the quiet hours), never to an unknown or erased member; a staff account created or
reset gets its set-your-password link by e-mail."""

import email
import email.policy
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import AuthenticationFailed
from backbone.schemas import load
from services.members import accounts, channels, notices, people, villages
from services.members.models import Notice, WaitingParcel
from services.members.schemas import StaffAccountInput, VillageInput
from services.members.schemas.people import MemberInput

PARIS = ZoneInfo("Europe/Paris")
VILLAGE = {
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "fixed",
    "population": 800,
}
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)  # 10:00 in Paris


@pytest.fixture(autouse=True)
def _public_url(monkeypatch):
    monkeypatch.setenv("MAILLAGE_OPT_OUT_SECRET", "test-opt-out-secret")
    monkeypatch.setenv("MAILLAGE_PUBLIC_URL", "https://maillage.example.org")
    monkeypatch.delenv("MAILLAGE_PARCEL_REMINDER_DAYS", raising=False)


@pytest.fixture
def world(service_db):
    database = service_db("members")
    with database.unit_of_work() as uow:
        village = villages.open_village(uow, load(VillageInput(), VILLAGE))["id"]
    who = {}
    for key, extra in [
        (
            "email",
            {"email": "jeanne@example.org", "preferred_channel": "email", "consents": ["contact"]},
        ),
        ("sms", {"phone": "06 39 98 10 01", "preferred_channel": "sms", "consents": ["contact"]}),
        ("no_consent", {"phone": "06 39 98 10 02", "preferred_channel": "sms"}),
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


def event(type_, payload, village_id, source):
    return parse_envelope(build_envelope(type_, payload, village_id=village_id, source=source))


def handle(database, consumer, record, envelope, times=2):
    """As the consumer does it, through the inbox; twice: a redelivery tells nobody twice."""
    for _ in range(times):
        with database.unit_of_work() as uow:
            claim_and_handle(uow, f"members.{consumer}", record, envelope)


def told(database, source_type=None):
    with database.unit_of_work() as uow:
        query = select(Notice).order_by(Notice.created_at, Notice.id)
        if source_type:
            query = query.where(Notice.source_type == source_type)
        rows = uow.session.scalars(query).all()
        uow.session.expunge_all()
        return rows


# --- parcels ------------------------------------------------------------------------------------


def parcel(type_, parcel_id, village_id, at=NOW, **extra):
    return event(
        type_,
        {
            "parcel_id": parcel_id,
            "village_id": village_id,
            "sender_kind": "la_poste",
            "place_kind": "shelf",
            "occurred_at": at,
            **extra,
        },
        village_id,
        "orders",
    )


def received(database, village, member_id, code="4821", at=NOW):
    parcel_id = str(uuid.uuid4())
    handle(
        database,
        "on_parcel_received",
        notices.record_parcel_received,
        parcel("parcel.received", parcel_id, village, at, member_id=member_id, pickup_code=code),
    )
    return parcel_id


def test_a_parcel_returned_tells_its_member_once_and_one_nobody_knows_tells_nobody(world):
    database, village, who = world
    parcel_id = received(database, village, who["sms"])
    returned = parcel("parcel.returned", parcel_id, village, reason="non retiré sous 15 jours")
    handle(database, "on_parcel_returned", notices.record_parcel_returned, returned)
    again = parcel("parcel.returned", parcel_id, village)  # the same parcel, a new event id
    handle(database, "on_parcel_returned", notices.record_parcel_returned, again)
    [notice] = told(database, "parcel.returned")
    assert (notice.member_id, notice.channel, notice.source_ref) == (who["sms"], "sms", parcel_id)
    assert "renvoyé à son expéditeur" in notice.message
    assert "Peyrelevade" in notice.message and "non retiré sous 15 jours" in notice.message
    unknown = parcel("parcel.returned", str(uuid.uuid4()), village)
    handle(database, "on_parcel_returned", notices.record_parcel_returned, unknown)
    assert len(told(database, "parcel.returned")) == 1
    with database.unit_of_work() as uow:  # returned: never reminded
        assert notices.remind_parcels(uow, NOW + timedelta(days=30)) == 0


def test_a_parcel_still_waiting_is_recalled_once_per_step_and_not_once_collected(
    world, monkeypatch
):
    database, village, who = world
    waiting = received(database, village, who["sms"], code="7305")
    collected = received(database, village, who["email"])
    handle(
        database,
        "on_parcel_handed_over",
        notices.record_parcel_handed_over,
        parcel("parcel.handed_over", collected, village, NOW + timedelta(days=1)),
    )
    with database.unit_of_work() as uow:
        assert notices.remind_parcels(uow, NOW + timedelta(days=2, hours=23)) == 0
    for hours in (0, 1, 20):  # the hourly timer: one reminder for the step
        with database.unit_of_work() as uow:
            made = notices.remind_parcels(uow, NOW + timedelta(days=3, hours=hours))
        assert made == (1 if hours == 0 else 0)
    [first] = told(database, "parcel.reminder")
    assert (first.member_id, first.source_ref) == (who["sms"], f"{waiting}/3")
    assert "depuis 3 jours" in first.message and "Code de retrait : 7305" in first.message
    # the service was down on day 7: on day 9 the step reached is sent, once
    with database.unit_of_work() as uow:
        assert notices.remind_parcels(uow, NOW + timedelta(days=9)) == 1
    with database.unit_of_work() as uow:
        assert notices.remind_parcels(uow, NOW + timedelta(days=10)) == 0
    assert [n.source_ref for n in told(database, "parcel.reminder")] == [
        f"{waiting}/3",
        f"{waiting}/7",
    ]
    monkeypatch.setenv("MAILLAGE_PARCEL_REMINDER_DAYS", "3, 7, 12")
    with database.unit_of_work() as uow:
        assert notices.remind_parcels(uow, NOW + timedelta(days=12)) == 1
    assert notices.parcel_reminder_days() == [3, 7, 12]


def test_an_erased_member_is_not_reminded_and_their_waiting_parcels_go(world):
    database, village, who = world
    received(database, village, who["sms"])
    with database.unit_of_work() as uow:
        people.erase_member(uow, village, who["sms"])
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(WaitingParcel)) == 0
        assert notices.remind_parcels(uow, NOW + timedelta(days=3)) == 0
    assert told(database) == []


# --- animations ---------------------------------------------------------------------------------

STARTS = datetime(2026, 12, 5, 13, tzinfo=UTC)  # Saturday 5 December, 14:00 Paris


def animation_event(type_, village, animation_id, **extra):
    return event(
        type_,
        {
            "animation_id": animation_id,
            "village_id": village,
            "title": "Atelier tricot",
            "place": "Salle des fêtes",
            "starts_at": STARTS,
            **extra,
        },
        village,
        "events",
    )


def test_registration_waiting_list_and_promotion_reach_a_real_smtp_server(
    world, smtp_server, monkeypatch
):
    database, village, who = world
    port, received_mail = smtp_server()
    monkeypatch.setenv("MAILLAGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("MAILLAGE_MAIL_FROM", "conciergerie@maillage.example.org")
    animation, registration = str(uuid.uuid4()), str(uuid.uuid4())
    handle(
        database,
        "on_animation_registered",
        notices.record_animation_registered,
        animation_event(
            "animation.registered",
            village,
            animation,
            registration_id=registration,
            member_id=who["email"],
            position=3,
            status="waiting",
        ),
    )
    handle(
        database,
        "on_animation_promoted",
        notices.record_animation_promoted,
        animation_event(
            "animation.promoted",
            village,
            animation,
            registration_id=registration,
            member_id=who["email"],
            position=3,
        ),
    )
    stranger = str(uuid.uuid4())
    handle(
        database,
        "on_animation_registered",
        notices.record_animation_registered,
        animation_event(
            "animation.registered",
            village,
            animation,
            registration_id=str(uuid.uuid4()),
            member_id=stranger,
            position=4,
            status="registered",
        ),
    )
    assert [(n.source_type, n.template) for n in told(database)] == [
        ("animation.registered", "animation_waiting"),
        ("animation.promoted", "animation_promoted"),
    ], "once each, and nothing for a member this service does not know"
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.from_config(), NOW) == 2
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.from_config(), NOW + timedelta(hours=1)) == 0
    mails = [
        email.message_from_string(m["data"], policy=email.policy.default) for m in received_mail()
    ]
    assert [m["Subject"] for m in mails] == [
        "Liste d'attente : Atelier tricot le 05/12 à 14h00",
        "Une place s'est libérée : Atelier tricot le 05/12 à 14h00",
    ]
    text = mails[1].get_body(("plain",)).get_content()
    html = mails[1].get_body(("html",)).get_content()
    assert "vous êtes inscrit·e à « Atelier tricot »" in text and "Salle des fêtes" in text
    assert "<strong>« Atelier tricot »</strong>" in html
    assert "desabonnement?jeton=" in text
    # they cancelled and came back, at the end of the queue: told again
    handle(
        database,
        "on_animation_registered",
        notices.record_animation_registered,
        animation_event(
            "animation.registered",
            village,
            animation,
            registration_id=registration,
            member_id=who["email"],
            position=5,
            status="registered",
        ),
    )
    assert [n.source_ref for n in told(database, "animation.registered")] == [
        f"{registration}/3",
        f"{registration}/5",
    ]


def test_the_reminder_of_the_day_before_by_sms_waits_out_the_quiet_hours(world, brevo, sms_config):
    database, village, who = world
    animation = str(uuid.uuid4())
    reminder = animation_event(
        "animation.reminder_due",
        village,
        animation,
        member_ids=[who["sms"], who["no_consent"], str(uuid.uuid4())],
    )
    handle(database, "on_animation_reminder_due", notices.record_animation_reminder, reminder)
    again = animation_event("animation.reminder_due", village, animation, member_ids=[who["sms"]])
    handle(database, "on_animation_reminder_due", notices.record_animation_reminder, again)
    rows = {n.member_id: n for n in told(database)}
    assert set(rows) == {who["sms"], who["no_consent"]}
    assert rows[who["no_consent"]].channel == "call", "no consent: the concierge calls"
    assert "c'est demain, samedi 05/12 à 14h00 (Salle des fêtes)" in rows[who["sms"]].message
    evening = datetime(2026, 12, 4, 21, tzinfo=PARIS).astimezone(UTC)
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.from_config(), evening) == 0
    assert brevo["requests"] == []
    morning = datetime(2026, 12, 5, 8, tzinfo=PARIS).astimezone(UTC)
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.from_config(), morning) == 1
    [sms] = brevo["requests"]
    assert sms["body"]["recipient"] == "33639981001"
    assert "Atelier tricot" in sms["body"]["content"]


# --- campaigns ----------------------------------------------------------------------------------


def test_a_member_who_pledged_is_thanked_then_told_of_the_closing_once(
    world, smtp_server, monkeypatch
):
    database, village, who = world
    port, received_mail = smtp_server()
    monkeypatch.setenv("MAILLAGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("MAILLAGE_MAIL_FROM", "conciergerie@maillage.example.org")
    campaign = str(uuid.uuid4())
    for member_id, cents in ((who["email"], 2500), (None, 50000)):  # a partner's: nobody
        handle(
            database,
            "on_campaign_pledged",
            notices.record_campaign_pledged,
            event(
                "campaign.pledged",
                {
                    "campaign_id": campaign,
                    "village_id": village,
                    "title": "Casiers réfrigérés",
                    "pledge_id": str(uuid.uuid4()),
                    "member_id": member_id,
                    "amount_cents": cents,
                },
                village,
                "partners",
            ),
        )

    def closed(type_):
        return event(
            type_,
            {
                "campaign_id": campaign,
                "village_id": village,
                "goal_cents": 100000,
                "pledged_cents": 123450,
                "pledges": 3,
                "title": "Casiers réfrigérés",
                "member_ids": [who["email"], who["sms"], str(uuid.uuid4())],
            },
            village,
            "partners",
        )

    handle(
        database, "on_campaign_closed", notices.record_campaign_closed, closed("campaign.funded")
    )
    handle(
        database, "on_campaign_closed", notices.record_campaign_closed, closed("campaign.funded")
    )
    assert [(n.source_type, n.member_id) for n in told(database)] == [
        ("campaign.pledged", who["email"]),
        ("campaign.funded", who["email"]),
        ("campaign.funded", who["sms"]),
    ]
    funded = told(database, "campaign.funded")[1].message
    assert "a atteint son objectif (1\u202f234,50 € promis pour 1\u202f000 €)" in funded
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.from_config(), NOW) == 2  # the e-mails
    subjects = [
        email.message_from_string(m["data"], policy=email.policy.default)["Subject"]
        for m in received_mail()
    ]
    assert subjects == [
        "Merci pour votre soutien : Casiers réfrigérés",
        "Objectif atteint : Casiers réfrigérés",
    ]
    # an event from before the pledgers were listed tells nobody
    old = event(
        "campaign.failed",
        {
            "campaign_id": str(uuid.uuid4()),
            "village_id": None,
            "goal_cents": 1000,
            "pledged_cents": 0,
            "pledges": 0,
        },
        None,
        "partners",
    )
    handle(database, "on_campaign_closed", notices.record_campaign_closed, old)
    assert told(database, "campaign.failed") == []


def test_a_failed_campaign_says_nothing_is_owed(world):
    database, village, who = world
    failed = event(
        "campaign.failed",
        {
            "campaign_id": str(uuid.uuid4()),
            "village_id": None,
            "goal_cents": 500000,
            "pledged_cents": 2000,
            "pledges": 1,
            "title": "Un camion frigorifique",
            "member_ids": [who["sms"]],
        },
        None,
        "partners",
    )
    handle(database, "on_campaign_closed", notices.record_campaign_closed, failed)
    [notice] = told(database)
    assert notice.template == "campaign_failed" and notice.village_id == village
    assert (
        "n'avez rien à payer" in notice.message
        and "20 € promis pour 5\u202f000 €" in notice.message
    )


# --- staff accounts: a set-your-password link ---------------------------------------------------


def test_a_new_staff_account_and_a_reset_send_a_set_your_password_link_by_email(
    world, smtp_server, monkeypatch
):
    database, village, _who = world
    port, received_mail = smtp_server()
    monkeypatch.setenv("MAILLAGE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("MAILLAGE_MAIL_FROM", "conciergerie@maillage.example.org")
    monkeypatch.setenv("GATEWAY_PUBLIC_URL", "https://console.maillage.example.org/")
    with database.unit_of_work() as uow:
        account = accounts.create_staff_account(
            uow,
            load(
                StaffAccountInput(),
                {
                    "email": "Lucie@Maillage.test",
                    "full_name": "Lucie Martin",
                    "password": "mot-de-passe-initial",
                    "role": "concierge",
                    "village_id": village,
                },
            ),
        )
    [created] = told(database)
    assert (created.account_id, created.member_id, created.channel) == (
        account["id"],
        None,
        "email",
    )
    assert "console.maillage.example.org" not in created.message, "the kept line has no link"
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.from_config(), NOW) == 1
    [got] = received_mail()
    assert got["rcpt_tos"] == ["lucie@maillage.test"]
    mail = email.message_from_string(got["data"], policy=email.policy.default)
    assert mail["Subject"] == "Votre compte Maillage : choisissez votre mot de passe"
    assert mail["List-Unsubscribe"] is None, "a service message: no opt-out"
    text = mail.get_body(("plain",)).get_content()
    link = re.search(r"https://console\.maillage\.example\.org/console/mot-de-passe\?\S+", text)
    query = parse_qs(urlsplit(link.group(0)).query)
    assert query["courriel"] == ["lucie@maillage.test"]
    assert f'href="{link.group(0).replace("&", "&amp;")}"' in mail.get_body(("html",)).get_content()
    assert "link" not in json.loads(told(database)[0].context), "the code is not kept once sent"
    with database.unit_of_work() as uow:  # the link's code sets the password, once
        accounts.complete_password_reset(
            uow, "lucie@maillage.test", query["code"][0], "mon-propre-mot-de-passe"
        )
    with database.unit_of_work() as uow:
        assert accounts.authenticate(uow, "lucie@maillage.test", "mon-propre-mot-de-passe")
    with database.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        accounts.complete_password_reset(uow, "lucie@maillage.test", query["code"][0], "x" * 12)

    # a coordinator's reset: a new link by e-mail, the same code as shown to the coordinator
    with database.unit_of_work() as uow:
        started = accounts.start_password_reset(uow, account["id"])
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.from_config(), NOW) == 1
    reset = email.message_from_string(received_mail()[1]["data"], policy=email.policy.default)
    assert reset["Subject"] == "Maillage : choisissez un nouveau mot de passe"
    assert notices.set_password_link("lucie@maillage.test", started["reset_code"]) in (
        reset.get_body(("plain",)).get_content()
    )
    # no e-mail sender, or an account disabled since: nothing sent, the code not kept, no call
    with database.unit_of_work() as uow:
        accounts.start_password_reset(uow, account["id"])
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, channels.Channels({}), NOW) == 0
    last = told(database, "staff.password_reset")[-1]
    assert last.status == "to_send" and last.parked_at is not None
    assert "link" not in json.loads(last.context)
    with database.unit_of_work() as uow:
        assert notices.list_notices(uow, village) == [], "not on the concierge's call list"
