"""Entrypoints of the members service: RPC, event consumers and timers. Each RPC method declares
the schemas of its input (backbone/rpc.py: `rpc_method`); the decisions are the service layer's
(villages.py, people.py, volunteers.py, notices.py…)."""

from backbone.clock import utcnow
from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider, OutboxRelayInProcess
from backbone.figures import parse_period
from backbone.health import service_health
from backbone.log_context import LogContext
from backbone.operations import Operations
from backbone.retention import RetentionTimer
from backbone.rpc import rpc_method
from backbone.timer import timer
from backbone.woken_timer import woken_timer
from services.members import (
    accounts,
    erasure,
    figures,
    grappes,
    help_notices,
    notices,
    opt_out,
    people,
    people_import,
    personal,
    skills,
    skills_map,
    time_bank,
    villages,
    volunteers,
)
from services.members.schemas import (
    CredentialsInput,
    OpeningExceptionInput,
    OpeningHoursInput,
    OpeningStatusQuery,
    PermanenceInput,
    StaffAccountInput,
    StopInput,
    VillageIdsInput,
    VillageInput,
    VillageStatusInput,
    VillageUpdateInput,
)
from services.members.schemas.accounts import (
    AccountStatusInput,
    PasswordChangeInput,
    PasswordResetInput,
    SessionEndInput,
)
from services.members.schemas.grappes import GrappeInput
from services.members.schemas.notices import (
    CallOutcomeInput,
    DeliveryLogFiltersInput,
    NoticeFiltersInput,
)
from services.members.schemas.people import (
    ConsentInput,
    ImportInput,
    MemberInput,
    MemberSearchInput,
    MemberUpdateInput,
)
from services.members.schemas.personal import LinkRequestInput, SecretInput
from services.members.schemas.volunteers import (
    MonthInput,
    SkillChangeInput,
    SkillInput,
    SkillListInput,
    VolunteerFiltersInput,
    VolunteerInput,
    VolunteerUpdateInput,
)


class MembersService(RetentionTimer):
    name = "members"

    db = DatabaseProvider("members")
    outbox_relay = OutboxRelayInProcess("members")
    log_context = LogContext()
    ops = Operations()  # /livez, /readyz, /metrics (backbone/operations.py)

    def purge_own_expired(self, uow, now):
        # the dead letters too (any service's events, so one service sweeps them: this one,
        # which knows who was erased)
        erasure.sweep_dead_letters(uow, now)

    @rpc_method(inputs={"data": VillageInput})
    def open_village(self, uow, data):
        return villages.open_village(uow, data)

    @rpc_method()
    def get_village(self, uow, village_id):
        return villages.get_village(uow, str(village_id))

    # --- places: a village's details, status, opening hours, truck stops ---------------------

    @rpc_method(inputs={"data": VillageUpdateInput})
    def update_village(self, uow, village_id, data):
        return villages.update_village(uow, str(village_id), data)

    @rpc_method(inputs={"data": VillageStatusInput})
    def change_village_status(self, uow, village_id, data):
        return villages.change_status(uow, str(village_id), data["status"], data["reason"])

    @rpc_method()
    def get_opening_hours(self, uow, village_id):
        return villages.get_opening_hours(uow, str(village_id))

    @rpc_method(inputs={"data": OpeningHoursInput})
    def set_opening_hours(self, uow, village_id, data):
        return villages.set_opening_hours(uow, str(village_id), data)

    @rpc_method(inputs={"data": OpeningExceptionInput})
    def add_opening_exception(self, uow, village_id, data):
        return villages.add_exception(uow, str(village_id), data)

    @rpc_method()
    def remove_opening_exception(self, uow, village_id, exception_id):
        villages.remove_exception(uow, str(village_id), str(exception_id))

    @rpc_method()
    def list_stops(self, uow, village_id):
        return villages.list_stops(uow, str(village_id))

    @rpc_method(inputs={"data": StopInput})
    def add_stop(self, uow, village_id, data):
        return villages.add_stop(uow, str(village_id), data)

    @rpc_method(inputs={"data": StopInput})
    def update_stop(self, uow, village_id, stop_id, data):
        return villages.update_stop(uow, str(village_id), str(stop_id), data)

    @rpc_method()
    def remove_stop(self, uow, village_id, stop_id):
        villages.remove_stop(uow, str(village_id), str(stop_id))

    @rpc_method()
    def tell_every_village_stops(self, uow):
        """`village.stops_changed` again for every village with a truck (`maillage announce-stops`:
        orders learns the stops of a network that ran before it was told them)."""
        return villages.tell_every_village_stops(uow)

    @rpc_method()
    def list_permanences(self, uow, village_id):
        return villages.list_permanences(uow, str(village_id))

    @rpc_method(inputs={"data": PermanenceInput})
    def add_permanence(self, uow, village_id, data):
        return villages.add_permanence(uow, str(village_id), data)

    @rpc_method()
    def remove_permanence(self, uow, village_id, permanence_id):
        villages.remove_permanence(uow, str(village_id), str(permanence_id))

    @rpc_method(schema=OpeningStatusQuery)
    def opening_status(self, uow, village_id, at=None):
        """`at`: an ISO 8601 datetime with its offset (default: now)."""
        return villages.get_opening_status(uow, str(village_id), at)

    @consume_event("partner.joined")
    def on_partner_joined(self, uow, event):
        skills_map.record_partner(uow, event)

    @consume_event("partner.updated")
    def on_partner_updated(self, uow, event):
        skills_map.record_partner(uow, event)

    # --- grappes (grappes.py): the coordinator's -------------------------------------------

    @rpc_method()
    def list_grappes(self, uow):
        return grappes.list_grappes(uow)

    @rpc_method()
    def get_grappe(self, uow, grappe_id):
        return grappes.get_grappe(uow, grappe_id)

    @rpc_method(inputs={"data": GrappeInput})
    def create_grappe(self, uow, data):
        return grappes.create_grappe(uow, data)

    @rpc_method(inputs={"data": GrappeInput})
    def update_grappe(self, uow, grappe_id, data):
        return grappes.update_grappe(uow, grappe_id, data)

    @rpc_method(schema=VillageIdsInput)
    def list_villages(self, uow, village_ids=None, window=None):
        return villages.list_villages(uow, village_ids, window)

    @rpc_method(schema=VillageIdsInput)
    def village_names(self, uow, village_ids=None):
        """Id, slug, name and status of the villages (list_villages is the whole record)."""
        return villages.village_names(uow, village_ids)

    @rpc_method()
    def public_villages(self, uow):
        """The network's villages as anyone may see them (the public list, gateway /villages)."""
        return villages.public_villages(uow)

    @rpc_method(schema=OpeningStatusQuery)
    def public_village(self, uow, slug, at=None):
        """A village's public page, its members' part: the village, hours, stops, open now?
        `at`: an ISO 8601 datetime with its offset (default: now)."""
        return villages.public_village(uow, str(slug), at)

    @rpc_method(inputs={"data": StaffAccountInput})
    def create_staff_account(self, uow, data):
        return accounts.create_staff_account(uow, data)

    @rpc_method(inputs={"credentials": CredentialsInput})
    def authenticate(self, uow, credentials):
        return accounts.authenticate(
            uow, credentials["email"], credentials["password"], credentials["client_address"]
        )

    @rpc_method()
    def list_staff_accounts(self, uow, window=None):
        return accounts.list_staff_accounts(uow, window)

    @rpc_method()
    def staff_session_state(self, uow, account_id):
        return accounts.session_state(uow, str(account_id))

    @rpc_method(inputs={"data": SessionEndInput})
    def end_staff_session(self, uow, account_id, data):
        return accounts.end_session(uow, str(account_id), data["token_id"], data["expires_at"])

    @rpc_method(inputs={"data": PasswordChangeInput})
    def change_staff_password(self, uow, account_id, data):
        return accounts.change_password(
            uow, str(account_id), data["current_password"], data["new_password"]
        )

    @rpc_method()
    def start_staff_password_reset(self, uow, account_id):
        return accounts.start_password_reset(uow, str(account_id))

    @rpc_method(inputs={"data": PasswordResetInput})
    def complete_staff_password_reset(self, uow, data):
        return accounts.complete_password_reset(
            uow, data["email"], data["code"], data["new_password"], data["client_address"]
        )

    @rpc_method(inputs={"data": AccountStatusInput})
    def set_staff_account_status(self, uow, account_id, data, acting_account_id=None):
        return accounts.set_disabled(uow, str(account_id), not data["active"], acting_account_id)

    @rpc_method()
    def get_staff_account(self, uow, account_id):
        return accounts.get_staff_account(uow, str(account_id))

    # --- people (inhabitants); every call names the village it acts in ---------------------

    @rpc_method(inputs={"data": MemberInput})
    def register_member(self, uow, data):
        return people.register_member(uow, data)

    @rpc_method(inputs={"query": MemberSearchInput})
    def search_members(self, uow, village_id, query=None):
        return people.search_members(uow, str(village_id), query["q"], query["limit"])

    @rpc_method()
    def get_member(self, uow, village_id, member_id):
        return people.get_member(uow, str(village_id), str(member_id))

    @rpc_method()
    def village_of_member(self, uow, member_id):
        """Where a member lives: a check the gateway makes for a user (a pledge naming a member)."""
        return people.village_of_member(uow, str(member_id))

    @rpc_method(inputs={"data": MemberUpdateInput})
    def update_member(self, uow, village_id, member_id, data):
        return people.update_member(uow, str(village_id), str(member_id), data)

    @rpc_method(inputs={"data": ConsentInput})
    def give_consent(self, uow, village_id, member_id, data):
        return people.give_consent(uow, str(village_id), str(member_id), data["purpose"])

    @rpc_method(inputs={"data": ConsentInput})
    def withdraw_consent(self, uow, village_id, member_id, data):
        return people.withdraw_consent(uow, str(village_id), str(member_id), data["purpose"])

    @rpc_method(inputs={"data": ImportInput})
    def import_members(self, uow, village_id, data):
        """A CSV text; returns the per-row report (nothing written when any row has a problem)."""
        return people_import.import_members(uow, str(village_id), data["text"])

    @rpc_method(inputs={"data": ImportInput})
    def preview_import(self, uow, village_id, data):
        """The same checks as the import, nothing written: the rows it would register and the
        problems of the others (the console shows them before the concierge confirms)."""
        return people_import.preview_import(uow, str(village_id), data["text"])

    @rpc_method(inputs={"data": ImportInput})
    def import_valid_members(self, uow, village_id, data):
        """The rows without a problem, all in one transaction; the others reported, not written."""
        return people_import.import_members(uow, str(village_id), data["text"], skip_invalid=True)

    @rpc_method()
    def export_member(self, uow, village_id, member_id):
        return people.export_member(uow, str(village_id), str(member_id))

    @rpc_method()
    def erase_member(self, uow, village_id, member_id):
        erased = people.erase_member(uow, str(village_id), str(member_id))
        erasure.scrub_dead_letters([erased["member_id"]])  # at once, not at the next hourly sweep
        return erased

    @rpc_method(schema=VillageIdsInput)
    def shared_members(self, uow, village_ids=None, window=None):
        return people.shared_members(uow, village_ids, window)

    @rpc_method(schema=VillageIdsInput)
    def member_stats(self, uow, village_ids=None):
        return people.member_stats(uow, village_ids)

    # --- skills list, volunteers, time bank, skills map (skills.py, volunteers.py, time_bank.py,
    # skills_map.py) ------------------------------------------------------------------------
    # `village_ids`: what the caller may see, as the gateway says (None: the coordinator).

    @rpc_method(schema=SkillListInput)
    def list_skills(self, uow, include_retired=False):
        return skills.list_skills(uow, include_retired)

    @rpc_method(inputs={"data": SkillInput})
    def add_skill(self, uow, data):
        return skills.add_skill(uow, data)

    @rpc_method(inputs={"data": SkillChangeInput})
    def rename_skill(self, uow, code, data):
        return skills.rename_skill(uow, str(code), data)

    @rpc_method()
    def retire_skill(self, uow, code):
        return skills.retire_skill(uow, str(code))

    @rpc_method(schema=VillageIdsInput, inputs={"data": VolunteerInput})
    def create_volunteer(self, uow, data, village_ids=None):
        return volunteers.create_volunteer(uow, data, village_ids)

    @rpc_method(schema=VillageIdsInput, inputs={"data": VolunteerUpdateInput})
    def update_volunteer(self, uow, volunteer_id, data, village_ids=None):
        return volunteers.update_volunteer(uow, str(volunteer_id), data, village_ids)

    @rpc_method(schema=VillageIdsInput)
    def get_volunteer(self, uow, volunteer_id, village_ids=None):
        return volunteers.get_volunteer(uow, str(volunteer_id), village_ids)

    @rpc_method(schema=VillageIdsInput, inputs={"filters": VolunteerFiltersInput})
    def list_volunteers(self, uow, village_ids=None, filters=None, window=None):
        return volunteers.list_volunteers(uow, village_ids, **filters, window=window)

    @rpc_method(schema=VillageIdsInput)
    def volunteer_hours(self, uow, volunteer_id, village_ids=None):
        return time_bank.volunteer_hours(uow, str(volunteer_id), village_ids)

    @rpc_method(schema=(VillageIdsInput, MonthInput))
    def time_bank_totals(self, uow, village_ids=None, month=None):
        return time_bank.totals(uow, village_ids, month=month)

    @rpc_method()
    def skills_map(self, uow, village_id=None):
        """The map of one village, or the network's (with every village's) when none is given."""
        if village_id is None:
            return skills_map.network_skills_map(uow)
        return skills_map.village_skills_map(uow, str(village_id))

    @consume_event("help_request.completed")
    def on_help_request_completed(self, uow, event):
        time_bank.credit_help_request(uow, event)

    @consume_event("animation.attended")
    def on_animation_attended(self, uow, event):
        time_bank.credit_animation(uow, event)

    @consume_event("help_request.requested", "help_request.unmatched")
    def on_help_demand(self, uow, event):
        time_bank.record_demand(uow, event)

    @rpc_method()
    def village_figures(self, uow, date_from, date_to, village_ids=None, details=None):
        """The coordinator's figures of this service (services/members/figures.py)."""
        query = parse_period(date_from, date_to, village_ids, details)
        return figures.village_figures(
            uow, query["date_from"], query["date_to"], query["village_ids"]
        )

    # --- notices: telling members an animation was cancelled, a parcel waits (notices.py) --------

    @consume_event("animation.cancelled")
    def on_animation_cancelled(self, uow, event):
        notices.record_animation_cancelled(uow, event)

    @consume_event("parcel.received")
    def on_parcel_received(self, uow, event):
        notices.record_parcel_received(uow, event)

    @consume_event("order.ready")
    def on_order_ready(self, uow, event):
        notices.record_order_ready(uow, event)

    @consume_event("sale.receipt_requested")
    def on_sale_receipt_requested(self, uow, event):
        notices.record_receipt_requested(uow, event)

    @consume_event("parcel.handed_over")
    def on_parcel_handed_over(self, uow, event):
        notices.record_parcel_handed_over(uow, event)

    @consume_event("parcel.returned")
    def on_parcel_returned(self, uow, event):
        notices.record_parcel_returned(uow, event)

    @timer(interval=3600)
    def remind_parcels(self):
        """Parcels still waiting after MAILLAGE_PARCEL_REMINDER_DAYS: a reminder each, once."""
        with self.db.unit_of_work() as uow:
            notices.remind_parcels(uow, utcnow())

    @consume_event("animation.registered")
    def on_animation_registered(self, uow, event):
        notices.record_animation_registered(uow, event)

    @consume_event("animation.promoted")
    def on_animation_promoted(self, uow, event):
        notices.record_animation_promoted(uow, event)

    @consume_event("animation.reminder_due")
    def on_animation_reminder_due(self, uow, event):
        notices.record_animation_reminder(uow, event)

    @consume_event("help_request.assigned")
    def on_help_request_assigned(self, uow, event):
        help_notices.record_assigned(uow, event)

    @consume_event("help_request.accepted")
    def on_help_request_accepted(self, uow, event):
        help_notices.record_accepted(uow, event)

    @consume_event("help_request.reminder_due")
    def on_help_request_reminder_due(self, uow, event):
        help_notices.record_reminder(uow, event)

    @consume_event("campaign.pledged")
    def on_campaign_pledged(self, uow, event):
        notices.record_campaign_pledged(uow, event)

    @consume_event("campaign.funded", "campaign.failed")
    def on_campaign_closed(self, uow, event):
        notices.record_campaign_closed(uow, event)

    # woken by the commit that made a notice (it leaves at once), at each retry's time, else every
    # MAILLAGE_NOTICE_POLL_SECONDS; eager: the channels chosen, or the trial run, are said in the
    # log at start-up
    @woken_timer(interval=notices.poll_seconds, woken_by=notices.WOKEN_BY_NOTICE, eager=True)
    def send_notices(self):
        with self.db.unit_of_work() as uow:
            notices.send_pending(uow, notices.default_sender(), utcnow())
            return notices.seconds_to_next_look(uow, utcnow())

    @rpc_method(inputs={"filters": NoticeFiltersInput})
    def list_notices(self, uow, village_id, filters=None, window=None):
        return notices.list_notices(uow, str(village_id), filters["status"], window)

    @rpc_method()
    def resend_parcel_code(self, uow, village_id, parcel_id):
        """A waiting parcel's pickup code sent to its member again, by their channel."""
        return notices.resend_parcel_code(uow, str(village_id), str(parcel_id))

    @rpc_method()
    def mark_notice_done(self, uow, village_id, notice_id):
        return notices.mark_done(uow, str(village_id), str(notice_id))

    @rpc_method(inputs={"data": CallOutcomeInput})
    def record_call(self, uow, village_id, notice_id, data):
        """The concierge called: reached (done) or no answer (counted, still to call)."""
        return notices.record_call(uow, str(village_id), str(notice_id), data["outcome"])

    @rpc_method(inputs={"filters": DeliveryLogFiltersInput})
    def notice_delivery_log(self, uow, village_id, filters=None, window=None):
        return notices.delivery_log(uow, str(village_id), filters["outcome"], window)

    @woken_timer(interval=notices.poll_seconds, woken_by=notices.WOKEN_BY_LINK)
    def send_sign_in_links(self):
        """The sign-in links go at once, by a sender of their own: the person waits for it, on the
        page, while other notices may be many."""
        with self.db.unit_of_work() as uow:
            notices.send_pending(
                uow, notices.default_sender(), utcnow(), source_type=notices.LINK_SOURCE
            )
            return notices.seconds_to_next_look(uow, utcnow(), notices.LINK_SOURCE)

    # --- personal sign-in of inhabitants and volunteers (personal.py, the gateway's /moi) ------

    @rpc_method(inputs={"data": LinkRequestInput})
    def request_personal_link(self, uow, data):
        return personal.request_link(uow, data["contact"], data["client_address"])

    @rpc_method(inputs={"data": SecretInput})
    def open_personal_link(self, uow, data):
        return personal.open_link(uow, data["token"])

    @rpc_method(inputs={"data": SecretInput})
    def personal_session(self, uow, data):
        return personal.session_member(uow, data["token"])

    @rpc_method(inputs={"data": SecretInput})
    def end_personal_session(self, uow, data):
        return personal.end_session(uow, data["token"])

    @rpc_method(inputs={"data": SecretInput})
    def request_personal_erasure(self, uow, data):
        return personal.request_erasure(uow, data["token"])

    @rpc_method()
    def member_personal_sessions(self, uow, village_id, member_id):
        return personal.member_sessions(uow, str(village_id), str(member_id))

    @rpc_method()
    def end_member_personal_sessions(self, uow, village_id, member_id):
        return personal.end_member_sessions(uow, str(village_id), str(member_id))

    @rpc_method()
    def opt_out(self, uow, token):
        """The opt-out link of an e-mail: withdraws the member's consent to be contacted."""
        return opt_out.withdraw_contact(uow, str(token or ""))

    @rpc_method(unit_of_work=False)
    def health(self):
        return service_health(self.db, self.name)
