"""Entrypoints of the members service: RPC, event consumers and timers. Validation here, decisions in
the service layer (villages.py, people.py, volunteers.py, notices.py…)."""

from nameko.timer import timer

from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider, OutboxRelayInProcess
from backbone.errors import EXPECTED
from backbone.figures import parse_period
from backbone.health import service_health
from backbone.rpc import rpc
from backbone.schemas import load
from backbone import retention
from backbone.tables import utcnow
from services.members import (
    accounts,
    erasure,
    figures,
    notices,
    people,
    people_import,
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
from services.members import opt_out
from services.members.schemas.notices import DeliveryLogFiltersInput, NoticeFiltersInput
from services.members.schemas.people import (
    ConsentInput,
    ImportInput,
    MemberInput,
    MemberSearchInput,
    MemberUpdateInput,
)
from services.members.schemas.volunteers import (
    MonthInput,
    VolunteerFiltersInput,
    VolunteerInput,
    VolunteerUpdateInput,
)


class MembersService:
    name = "members"

    db = DatabaseProvider("members")
    outbox_relay = OutboxRelayInProcess("members")

    @timer(interval=3600, eager=True)
    def purge_expired_personal_data(self):
        """Retention (docs/rgpd.md): published events kept past MAILLAGE_OUTBOX_RETENTION_DAYS go
        (backbone/retention.py). Hourly, so a restart never postpones it by more than an hour."""
        with self.db.unit_of_work() as uow:
            retention.purge_expired(uow, utcnow())
            # the dead letters too (any service's events, so one service sweeps them: this one,
            # which knows who was erased)
            erasure.sweep_dead_letters(uow, utcnow())

    @rpc(expected_exceptions=EXPECTED)
    def open_village(self, data):
        with self.db.unit_of_work() as uow:
            return villages.open_village(uow, load(VillageInput(), data))

    @rpc(expected_exceptions=EXPECTED)
    def get_village(self, village_id):
        with self.db.unit_of_work() as uow:
            return villages.get_village(uow, str(village_id))

    # --- places: a village's details, status, opening hours, truck stops ---------------------

    @rpc(expected_exceptions=EXPECTED)
    def update_village(self, village_id, data):
        changes = load(VillageUpdateInput(), data)
        with self.db.unit_of_work() as uow:
            return villages.update_village(uow, str(village_id), changes)

    @rpc(expected_exceptions=EXPECTED)
    def change_village_status(self, village_id, data):
        change = load(VillageStatusInput(), data)
        with self.db.unit_of_work() as uow:
            return villages.change_status(uow, str(village_id), change["status"], change["reason"])

    @rpc(expected_exceptions=EXPECTED)
    def get_opening_hours(self, village_id):
        with self.db.unit_of_work() as uow:
            return villages.get_opening_hours(uow, str(village_id))

    @rpc(expected_exceptions=EXPECTED)
    def set_opening_hours(self, village_id, data):
        hours = load(OpeningHoursInput(), data)
        with self.db.unit_of_work() as uow:
            return villages.set_opening_hours(uow, str(village_id), hours)

    @rpc(expected_exceptions=EXPECTED)
    def add_opening_exception(self, village_id, data):
        exception = load(OpeningExceptionInput(), data)
        with self.db.unit_of_work() as uow:
            return villages.add_exception(uow, str(village_id), exception)

    @rpc(expected_exceptions=EXPECTED)
    def remove_opening_exception(self, village_id, exception_id):
        with self.db.unit_of_work() as uow:
            villages.remove_exception(uow, str(village_id), str(exception_id))

    @rpc(expected_exceptions=EXPECTED)
    def list_stops(self, village_id):
        with self.db.unit_of_work() as uow:
            return villages.list_stops(uow, str(village_id))

    @rpc(expected_exceptions=EXPECTED)
    def add_stop(self, village_id, data):
        stop = load(StopInput(), data)
        with self.db.unit_of_work() as uow:
            return villages.add_stop(uow, str(village_id), stop)

    @rpc(expected_exceptions=EXPECTED)
    def update_stop(self, village_id, stop_id, data):
        stop = load(StopInput(), data)
        with self.db.unit_of_work() as uow:
            return villages.update_stop(uow, str(village_id), str(stop_id), stop)

    @rpc(expected_exceptions=EXPECTED)
    def remove_stop(self, village_id, stop_id):
        with self.db.unit_of_work() as uow:
            villages.remove_stop(uow, str(village_id), str(stop_id))

    @rpc(expected_exceptions=EXPECTED)
    def opening_status(self, village_id, at=None):
        """`at`: an ISO 8601 datetime with its offset (default: now)."""
        moment = load(OpeningStatusQuery(), {"at": at})["at"]
        with self.db.unit_of_work() as uow:
            return villages.get_opening_status(uow, str(village_id), moment)

    @rpc(expected_exceptions=EXPECTED)
    def list_villages(self, village_ids=None, window=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        with self.db.unit_of_work() as uow:
            return villages.list_villages(uow, ids, window)

    @rpc(expected_exceptions=EXPECTED)
    def village_names(self, village_ids=None):
        """Id, slug, name and status of the villages (list_villages is the whole record)."""
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        with self.db.unit_of_work() as uow:
            return villages.village_names(uow, ids)

    @rpc(expected_exceptions=EXPECTED)
    def create_staff_account(self, data):
        with self.db.unit_of_work() as uow:
            return accounts.create_staff_account(uow, load(StaffAccountInput(), data))

    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, credentials):
        creds = load(CredentialsInput(), credentials)
        with self.db.unit_of_work() as uow:
            return accounts.authenticate(
                uow, creds["email"], creds["password"], creds["client_address"]
            )

    @rpc(expected_exceptions=EXPECTED)
    def list_staff_accounts(self, window=None):
        with self.db.unit_of_work() as uow:
            return accounts.list_staff_accounts(uow, window)

    @rpc(expected_exceptions=EXPECTED)
    def staff_session_state(self, account_id):
        with self.db.unit_of_work() as uow:
            return accounts.session_state(uow, str(account_id))

    @rpc(expected_exceptions=EXPECTED)
    def end_staff_session(self, account_id, data):
        session = load(SessionEndInput(), data)
        with self.db.unit_of_work() as uow:
            return accounts.end_session(
                uow, str(account_id), session["token_id"], session["expires_at"]
            )

    @rpc(expected_exceptions=EXPECTED)
    def change_staff_password(self, account_id, data):
        change = load(PasswordChangeInput(), data)
        with self.db.unit_of_work() as uow:
            return accounts.change_password(
                uow, str(account_id), change["current_password"], change["new_password"]
            )

    @rpc(expected_exceptions=EXPECTED)
    def start_staff_password_reset(self, account_id):
        with self.db.unit_of_work() as uow:
            return accounts.start_password_reset(uow, str(account_id))

    @rpc(expected_exceptions=EXPECTED)
    def complete_staff_password_reset(self, data):
        reset = load(PasswordResetInput(), data)
        with self.db.unit_of_work() as uow:
            return accounts.complete_password_reset(
                uow, reset["email"], reset["code"], reset["new_password"], reset["client_address"]
            )

    @rpc(expected_exceptions=EXPECTED)
    def set_staff_account_status(self, account_id, data, acting_account_id=None):
        status = load(AccountStatusInput(), data)
        with self.db.unit_of_work() as uow:
            return accounts.set_disabled(
                uow, str(account_id), not status["active"], acting_account_id
            )

    @rpc(expected_exceptions=EXPECTED)
    def get_staff_account(self, account_id):
        with self.db.unit_of_work() as uow:
            return accounts.get_staff_account(uow, str(account_id))

    # --- people (inhabitants); every call names the village it acts in ---------------------

    @rpc(expected_exceptions=EXPECTED)
    def register_member(self, data):
        with self.db.unit_of_work() as uow:
            return people.register_member(uow, load(MemberInput(), data))

    @rpc(expected_exceptions=EXPECTED)
    def search_members(self, village_id, query=None):
        params = load(MemberSearchInput(), query or {})
        with self.db.unit_of_work() as uow:
            return people.search_members(uow, str(village_id), params["q"], params["limit"])

    @rpc(expected_exceptions=EXPECTED)
    def get_member(self, village_id, member_id):
        with self.db.unit_of_work() as uow:
            return people.get_member(uow, str(village_id), str(member_id))

    @rpc(expected_exceptions=EXPECTED)
    def village_of_member(self, member_id):
        """Where a member lives: a check the gateway makes for a user (a pledge naming a member)."""
        with self.db.unit_of_work() as uow:
            return people.village_of_member(uow, str(member_id))

    @rpc(expected_exceptions=EXPECTED)
    def update_member(self, village_id, member_id, data):
        changes = load(MemberUpdateInput(), data)
        with self.db.unit_of_work() as uow:
            return people.update_member(uow, str(village_id), str(member_id), changes)

    @rpc(expected_exceptions=EXPECTED)
    def give_consent(self, village_id, member_id, data):
        purpose = load(ConsentInput(), data)["purpose"]
        with self.db.unit_of_work() as uow:
            return people.give_consent(uow, str(village_id), str(member_id), purpose)

    @rpc(expected_exceptions=EXPECTED)
    def withdraw_consent(self, village_id, member_id, data):
        purpose = load(ConsentInput(), data)["purpose"]
        with self.db.unit_of_work() as uow:
            return people.withdraw_consent(uow, str(village_id), str(member_id), purpose)

    @rpc(expected_exceptions=EXPECTED)
    def import_members(self, village_id, data):
        """A CSV text; returns the per-row report (nothing written when any row has a problem)."""
        text = load(ImportInput(), data)["text"]
        with self.db.unit_of_work() as uow:
            return people_import.import_members(uow, str(village_id), text)

    @rpc(expected_exceptions=EXPECTED)
    def export_member(self, village_id, member_id):
        with self.db.unit_of_work() as uow:
            return people.export_member(uow, str(village_id), str(member_id))

    @rpc(expected_exceptions=EXPECTED)
    def erase_member(self, village_id, member_id):
        with self.db.unit_of_work() as uow:
            erased = people.erase_member(uow, str(village_id), str(member_id))
        erasure.scrub_dead_letters([erased["member_id"]])  # at once, not at the next hourly sweep
        return erased

    @rpc(expected_exceptions=EXPECTED)
    def shared_members(self, village_ids=None, window=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        with self.db.unit_of_work() as uow:
            return people.shared_members(uow, ids, window)

    @rpc(expected_exceptions=EXPECTED)
    def member_stats(self, village_ids=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        with self.db.unit_of_work() as uow:
            return people.member_stats(uow, ids)

    # --- volunteers, time bank, skills map (volunteers.py, time_bank.py, skills_map.py) -------
    # `village_ids`: what the caller may see, as the gateway says (None: the coordinator).

    @rpc(expected_exceptions=EXPECTED)
    def list_skills(self):
        with self.db.unit_of_work() as uow:
            return volunteers.list_skills(uow)

    @rpc(expected_exceptions=EXPECTED)
    def create_volunteer(self, data, village_ids=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        volunteer = load(VolunteerInput(), data)
        with self.db.unit_of_work() as uow:
            return volunteers.create_volunteer(uow, volunteer, ids)

    @rpc(expected_exceptions=EXPECTED)
    def update_volunteer(self, volunteer_id, data, village_ids=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        changes = load(VolunteerUpdateInput(), data)
        with self.db.unit_of_work() as uow:
            return volunteers.update_volunteer(uow, str(volunteer_id), changes, ids)

    @rpc(expected_exceptions=EXPECTED)
    def get_volunteer(self, volunteer_id, village_ids=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        with self.db.unit_of_work() as uow:
            return volunteers.get_volunteer(uow, str(volunteer_id), ids)

    @rpc(expected_exceptions=EXPECTED)
    def list_volunteers(self, village_ids=None, filters=None, window=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        wanted = load(VolunteerFiltersInput(), filters or {})
        with self.db.unit_of_work() as uow:
            return volunteers.list_volunteers(uow, ids, **wanted, window=window)

    @rpc(expected_exceptions=EXPECTED)
    def volunteer_hours(self, volunteer_id, village_ids=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        with self.db.unit_of_work() as uow:
            return time_bank.volunteer_hours(uow, str(volunteer_id), ids)

    @rpc(expected_exceptions=EXPECTED)
    def time_bank_totals(self, village_ids=None, month=None):
        ids = load(VillageIdsInput(), {"village_ids": village_ids})["village_ids"]
        wanted = load(MonthInput(), {"month": month})
        with self.db.unit_of_work() as uow:
            return time_bank.totals(uow, ids, month=wanted["month"])

    @rpc(expected_exceptions=EXPECTED)
    def skills_map(self, village_id=None):
        """The map of one village, or the network's (with every village's) when none is given."""
        with self.db.unit_of_work() as uow:
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

    @rpc(expected_exceptions=EXPECTED)
    def village_figures(self, date_from, date_to, village_ids=None, details=None):
        """The coordinator's figures of this service (services/members/figures.py)."""
        query = parse_period(date_from, date_to, village_ids, details)
        with self.db.unit_of_work() as uow:
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

    @timer(
        interval=30, eager=True
    )  # eager: the channels chosen (or the trial run) are logged at start-up
    def send_notices(self):
        with self.db.unit_of_work() as uow:
            notices.send_pending(uow, notices.default_sender(), utcnow())

    @rpc(expected_exceptions=EXPECTED)
    def list_notices(self, village_id, filters=None, window=None):
        wanted = load(NoticeFiltersInput(), filters or {})
        with self.db.unit_of_work() as uow:
            return notices.list_notices(uow, str(village_id), wanted["status"], window)

    @rpc(expected_exceptions=EXPECTED)
    def mark_notice_done(self, village_id, notice_id):
        with self.db.unit_of_work() as uow:
            return notices.mark_done(uow, str(village_id), str(notice_id))

    @rpc(expected_exceptions=EXPECTED)
    def notice_delivery_log(self, village_id, filters=None, window=None):
        wanted = load(DeliveryLogFiltersInput(), filters or {})
        with self.db.unit_of_work() as uow:
            return notices.delivery_log(uow, str(village_id), wanted["outcome"], window)

    @rpc(expected_exceptions=EXPECTED)
    def opt_out(self, token):
        """The opt-out link of an e-mail: withdraws the member's consent to be contacted."""
        with self.db.unit_of_work() as uow:
            return opt_out.withdraw_contact(uow, str(token or ""))

    @rpc
    def health(self):
        return service_health(self.db, self.name)
