"""The network's facts every service keeps a copy of (event-carried state, published by members):
villages (`village.opened`, `village.updated`), their status (`village.status_changed`) and
members as other services see them (`member.registered`, `member.updated`, `member.erased`).

Each service keeps its copy in its own database: it declares the tables on its own `Base` with the
mixins below, adding the columns of a village's description it reads beyond the common ones, and
binds its tables to the consumers once:

    class KnownVillage(KnownVillageColumns, Base):
        commune: Mapped[str] = mapped_column(String(120))
        carried = ("commune",)

    facts = NetworkFacts(KnownVillage, VillageStatus, KnownMember, output=KnownVillageOutput)

Only the shape of these facts lives here; what a service does with them (what an erasure scrubs
beyond the member's row, which villages it serves) stays in the service. Their tables are created
by the service's migrations with the steps of `backbone.migrations`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Float, String, select
from sqlalchemy.orm import Mapped, mapped_column

from backbone.network_facts_schemas import KnownMemberOutput, KnownVillageOutput
from backbone.schemas import Schema
from backbone.tables import UtcDateTime, same_as

VILLAGE_STATUS_UNTIL_TOLD = "open"  # an opened village is open until a status says otherwise


class KnownVillageColumns:
    """A village as a service needs it (from `village.opened` and `village.updated`; the latest
    description by `occurred_at` wins)."""

    __tablename__ = "known_villages"

    # the payload's fields the service keeps besides these, each in a column of the same name it
    # declares; a nullable one may be missing from the payload (an event written before it existed)
    carried: ClassVar[tuple[str, ...]] = ()

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # of the latest event applied (opened or updated); a row written without it changed when it
    # opened
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=same_as("opened_at"))


class VillageStatusColumns:
    """A village's latest status (from `village.status_changed`): preparing, open, paused or closed.
    Kept apart from the village row so a status arriving before `village.opened` is not lost."""

    __tablename__ = "village_statuses"

    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class KnownMemberColumns:
    """A member as a service needs them (from `member.registered` and `member.updated`, the latest
    by `occurred_at` wins); anonymised on `member.erased`: the id stays (history keeps its shape),
    the name, tags, address and consents go."""

    __tablename__ = "known_members"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    display_name: Mapped[str | None] = mapped_column(String(170), nullable=True)
    tags: Mapped[str | None] = mapped_column(String(200), nullable=True)  # comma-separated
    # where they live, on one line (home deliveries); null until `member.updated` tells it
    address: Mapped[str | None] = mapped_column(String(330), nullable=True)
    # where the home is, when told (`member.updated`): a home delivery's stop on a round
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    consents: Mapped[str | None] = mapped_column(String(200), nullable=True)  # comma-separated
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # of the latest description applied (registered or updated): an older one arriving late loses
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    def tag_set(self) -> set[str]:
        return {t for t in (self.tags or "").split(",") if t}


class NetworkFacts:
    """One service's copy of the network's facts: its tables, and the consumers that keep them.
    Every consumer is idempotent and order-proof, and commits its unit of work."""

    def __init__(
        self, village, status, member=None, *, output: type[Schema] = KnownVillageOutput
    ) -> None:
        self.village, self.status, self.member, self.output = village, status, member, output

    # --- villages and their status --------------------------------------------------------------

    def village_row(self, event: dict) -> dict:
        """The row `village.opened` or `village.updated` gives the service's village table."""
        payload, columns = event["payload"], self.village.__table__.c
        row = {
            "id": payload["village_id"],
            "slug": payload["slug"],
            "name": payload["name"],
            "opened_at": payload.get("opened_at") or event["occurred_at"],
            "changed_at": event["occurred_at"],
        }
        for name in self.village.carried:
            row[name] = payload.get(name) if columns[name].nullable else payload[name]
        return row

    def record_village(self, uow, event: dict) -> None:
        """`village.opened` or `village.updated`."""
        self.record_villages(uow, [event])

    def record_villages(self, uow, events: list[dict]) -> None:
        """`village.opened` and `village.updated`, in one transaction (one upsert for all): a
        village keeps its latest description by `occurred_at`."""
        uow.keep_latest(self.village, [self.village_row(event) for event in events], key="id")
        uow.commit()

    def record_village_status_changed(self, uow, event: dict) -> None:
        """The latest status by `occurred_at` wins."""
        payload = event["payload"]
        uow.keep_latest(
            self.status,
            {
                "village_id": payload["village_id"],
                "status": payload["to"],
                "reason": payload["reason"],
                "changed_at": event["occurred_at"],
            },
            key="village_id",
        )
        uow.commit()

    def known_villages(self, uow) -> list[dict]:
        """Every known village by name, with its status."""
        rows = uow.session.scalars(select(self.village).order_by(self.village.name)).all()
        statuses = {row.village_id: row.status for row in uow.session.scalars(select(self.status))}
        villages = self.output(many=True).dump(rows)
        for village in villages:
            village["status"] = statuses.get(village["id"], VILLAGE_STATUS_UNTIL_TOLD)
        return villages

    # --- members --------------------------------------------------------------------------------

    def record_member_registered(self, uow, event: dict) -> None:
        """A registration arriving after the erasure (out of order) does not bring the name back,
        nor one arriving after an update (`member.updated`) the older name and tags."""
        row = self._member_row(uow, event["payload"])
        row.registered_at = event["occurred_at"]
        self._describe(row, event, ("display_name", "tags"))
        uow.commit()

    def record_member_updated(self, uow, event: dict) -> None:
        """`member.updated`: the newest description by `occurred_at` wins (a duplicate or an older
        one arriving late changes nothing); an erased member stays erased."""
        self._describe(
            self._member_row(uow, event["payload"]),
            event,
            ("display_name", "tags", "address", "consents", "latitude", "longitude"),
        )
        uow.commit()

    def _describe(self, row, event: dict, names: tuple[str, ...]) -> None:
        """Write the payload's `names` on the member's row (locked by `_member_row`) unless it is
        erased or already holds a newer description."""
        occurred_at = event["occurred_at"]
        if row.erased_at is not None or (row.changed_at and row.changed_at >= occurred_at):
            return
        payload = event["payload"]
        for name in names:
            value = payload.get(name)  # a field added later is missing from older events
            setattr(row, name, ",".join(value) if isinstance(value, list) else value)
        row.changed_at = occurred_at

    def erase_member(self, uow, event: dict) -> None:
        """`member.erased` on the member's row, anonymised (kept as a tombstone when the
        registration has not arrived yet); a redelivered erasure changes nothing. Not committed:
        the service scrubs what else it holds about them in the same transaction."""
        row = self._member_row(uow, event["payload"])
        if row.erased_at is None:
            row.display_name, row.tags, row.address, row.consents = None, None, None, None
            row.latitude = row.longitude = None
            row.erased_at = event["occurred_at"]

    def member_export(self, uow, member_id: str) -> dict | None:
        """The member's row as an RGPD export shows it (None when unknown)."""
        row = uow.session.get(self.member, str(member_id))
        return KnownMemberOutput().dump(row) if row else None

    def _member_row(self, uow, payload: dict):
        return uow.ensure_row(
            self.member, {"id": payload["member_id"], "village_id": payload["village_id"]}
        )
