"""The events service's tables: animations and suggestions, and its read models of villages,
possible co-organisers and members."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from backbone.clock import utcnow
from backbone.network_facts import KnownMemberColumns, KnownVillageColumns, VillageStatusColumns
from backbone.offline_actions import OfflineActionColumns
from backbone.state_machine import Event, Lifecycle
from backbone.tables import UtcDateTime, new_id, same_as, service_metadata
from backbone.volunteer_bookings import VolunteerBookingColumns


class Base(DeclarativeBase):
    metadata = service_metadata()


class OfflineAction(OfflineActionColumns, Base):
    """An attendance taken with an idempotency key or the time it happened (the offline
    console's replays): backbone/offline_actions.py."""


class KnownVillage(KnownVillageColumns, Base):
    """A village where animations may happen (from `village.opened` and `village.updated`)."""

    carried = ("commune",)

    commune: Mapped[str] = mapped_column(String(120))


class KnownPartner(Base):
    """An organisation that may co-organise animations (from `partner.joined` and
    `partner.updated`, the latest by `occurred_at` wins)."""

    __tablename__ = "known_partners"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(40))
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # the villages it serves, empty: the whole network; null: not told yet (a row from before
    # the events carried them), served everywhere until told
    village_ids: Mapped[list | None] = mapped_column(JSON, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=same_as("joined_at"))
    # when its partnership ended (`partner.updated` with `ended_at`): offered to no village since
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class KnownMember(KnownMemberColumns, Base):
    pass


class VillageStatus(VillageStatusColumns, Base):
    pass


class VolunteerBooking(VolunteerBookingColumns, Base):
    """The coups de main holding a volunteer's time (`help_request.volunteer_booking`): an
    animation role never overlaps one (backbone/volunteer_bookings.py)."""


class Animation(Base):
    """A community event hosted by one village (`village_id`), possibly open to others (`invited`):
    scheduled, then held (attendance taken) or cancelled."""

    __tablename__ = "animations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    series_id: Mapped[str | None] = mapped_column(
        String(36), nullable=True, index=True
    )  # a recurrence
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(160))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(20), default="scheduled"
    )  # scheduled, held, cancelled
    cancel_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    people_reached: Mapped[int | None] = mapped_column(Integer, nullable=True)
    guests: Mapped[int | None] = mapped_column(
        Integer, nullable=True
    )  # of people_reached, not members
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # when `animation.reminder_due` was announced (once, the day before)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    co_organisers: Mapped[list["AnimationCoOrganiser"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    registrations: Mapped[list["Registration"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Registration.position"
    )
    roles: Mapped[list["VolunteerRole"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    role_volunteers: Mapped[list["RoleVolunteer"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    invited: Mapped[list["AnimationVillage"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def village_ids(self) -> list[str]:
        """The host village first, then the villages invited."""
        return [self.village_id, *sorted(v.village_id for v in self.invited)]


class AnimationVillage(Base):
    """Another village invited to an animation: its inhabitants register from their own hub and it
    shows on its calendar. Only the host village changes the animation."""

    __tablename__ = "animation_villages"

    animation_id: Mapped[str] = mapped_column(ForeignKey("animations.id"), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class AnimationCoOrganiser(Base):
    __tablename__ = "animation_co_organisers"

    animation_id: Mapped[str] = mapped_column(ForeignKey("animations.id"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class Registration(Base):
    """One person for one animation: a known member or a guest (name and phone). `person_key` makes
    one registration per person per animation (a cancelled one is reused if they come back)."""

    __tablename__ = "animation_registrations"
    __table_args__ = (
        UniqueConstraint("animation_id", "person_key", name="uq_animation_registrations_person"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    animation_id: Mapped[str] = mapped_column(ForeignKey("animations.id"), index=True)
    person_key: Mapped[str] = mapped_column(String(60))
    member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    guest_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    guest_phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    guest_erased_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True
    )  # name and phone gone
    village_id: Mapped[str | None] = mapped_column(
        String(36), nullable=True
    )  # the hub that registered them
    present: Mapped[bool | None] = mapped_column(
        Boolean, nullable=True
    )  # at attendance, when counted
    status: Mapped[str] = mapped_column(String(20))  # registered, waiting, cancelled
    position: Mapped[int] = mapped_column(Integer)  # first come, first served
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class VolunteerRole(Base):
    """A role the animation needs volunteers for (accueil, buvette…) and how many."""

    __tablename__ = "animation_roles"

    animation_id: Mapped[str] = mapped_column(ForeignKey("animations.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(60), primary_key=True)
    needed: Mapped[int] = mapped_column(Integer)


class RoleVolunteer(Base):
    """A volunteer holding a role at an animation (one role each)."""

    __tablename__ = "animation_role_volunteers"

    animation_id: Mapped[str] = mapped_column(ForeignKey("animations.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role: Mapped[str] = mapped_column(String(60))
    minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)  # credited at attendance


class Suggestion(Base):
    """A need or an idea an inhabitant expressed, recorded by the concierge, and how the hub
    answered. Its `status` moves along `LIFECYCLE`: new → under_study → planned → done, or declined
    (with a reason) from any open state; a jump that skips a step is refused."""

    LIFECYCLE = Lifecycle(
        reason="suggestion_status_transition",
        transitions={
            "new": ("under_study", "declined"),
            "under_study": ("planned", "declined"),
            "planned": ("done", "declined"),
            "done": (),
            "declined": (),
        },
        stamps={status: "updated_at" for status in ("under_study", "planned", "done", "declined")},
    )

    __tablename__ = "suggestions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(
        String(20), default="new"
    )  # new, under_study, planned, done, declined
    decline_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True
    )  # first move out of "new"
    answered_by_kind: Mapped[str | None] = mapped_column(
        String(20), nullable=True
    )  # offer, animation, partner
    answered_by_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    supports: Mapped[list["SuggestionSupport"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    def move_to(
        self,
        status: str,
        now: datetime,
        *,
        reason: str | None = None,
        answered_by: dict | None = None,
    ) -> list[Event]:
        """Guarded by `LIFECYCLE`, told as `suggestion.answered`. `answered_by` (an offer, an
        animation or a partner, checked to exist by the caller) replaces what answered it; declined,
        nothing answers it any more and `reason` says why."""
        self.LIFECYCLE.move(self, status, now)
        if answered_by:
            self.answered_by_kind, self.answered_by_id = answered_by["kind"], answered_by["id"]
        self.answered_at = self.answered_at or now
        if status == "declined":  # what was planned to answer it no longer does
            self.decline_reason = reason
            self.answered_by_kind = self.answered_by_id = None
        payload = {
            "suggestion_id": self.id,
            "village_id": self.village_id,
            "category": self.category,
            "status": status,
            "reason": reason,
            "answered_by": self.answered_by,
        }
        return [Event("suggestion.answered", payload, self.village_id)]

    @property
    def answered_by(self) -> dict | None:
        """What answered it ({"kind", "id"}), if anything does."""
        if self.answered_by_kind is None:
            return None
        return {"kind": self.answered_by_kind, "id": self.answered_by_id}


class SuggestionSupport(Base):
    """One member supports a suggestion (once)."""

    __tablename__ = "suggestion_supports"

    suggestion_id: Mapped[str] = mapped_column(ForeignKey("suggestions.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    supported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class KnownOffer(Base):
    """A partner's offer (from `offer.published`, newest wins): what a suggestion may name as
    answered by an offer."""

    __tablename__ = "known_offers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Signal(Base):
    """One need the network saw (the ledger the coordinator's « Signaux » are counted from): a
    suggestion made, a support given, a coup de main nobody could take (`help_request.unmatched`),
    an order every supplier refused (`order.refused`). One row per source and id: a redelivered
    event adds nothing. No member data."""

    __tablename__ = "signals"
    __table_args__ = (Index("ix_signals_month_theme", "month", "theme"),)

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    theme: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str | None] = mapped_column(String(60), nullable=True)  # a skill, an item
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Europe/Paris
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SignalCount(Base):
    """The ledger counted (one row per theme, month and village, one count column per source),
    kept in the transaction that adds to the ledger: the « Signaux » and their CSV read these
    rows rather than group the ledger (a national year: ~90,000 rows instead of ~300,000 to group
    and sort). Not personal: counts."""

    __tablename__ = "signal_counts"

    theme: Mapped[str] = mapped_column(String(30), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    suggestion: Mapped[int] = mapped_column(Integer, default=0)
    support: Mapped[int] = mapped_column(Integer, default=0)
    help_unmatched: Mapped[int] = mapped_column(Integer, default=0)
    order_refused: Mapped[int] = mapped_column(Integer, default=0)
    item_asked: Mapped[int] = mapped_column(Integer, default=0)


class KnownGrappe(Base):
    """A grappe's villages (from `grappe.created` / `grappe.updated`, the latest wins): signals are
    also counted per grappe."""

    __tablename__ = "known_grappes"

    grappe_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    village_ids: Mapped[list] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
