"""Funding: sources per village or for the network (grants, sponsors, fees, margin, a local
authority's service contract), and crowdfunding campaigns with their pledges."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.partners.models.base import Base


class FundingSource(Base):
    __tablename__ = "funding_sources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str | None] = mapped_column(
        String(36), nullable=True, index=True
    )  # None: the network
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(160))
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"), nullable=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    received_on: Mapped[date] = mapped_column(Date)
    services: Mapped[list] = mapped_column(JSON)  # a service contract's services bought
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(160))
    purpose: Mapped[str] = mapped_column(String(1000))
    goal_cents: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10))  # running, funded, failed
    launched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Pledge(Base):
    __tablename__ = "pledges"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"), nullable=True)
    pledger_name: Mapped[str | None] = mapped_column(String(160), nullable=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    pledged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
