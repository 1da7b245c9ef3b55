"""Service layer for crowdfunding campaigns (an installation, an equipment): a goal, a deadline,
pledges by members or partners. Reaching the goal funds and closes the campaign
(`campaign.funded`); a deadline passing under the goal fails it (`campaign.failed`, by
`close_expired`, run by a timer with an explicit `now`). A closed campaign takes no pledge (409).

Visibility: `village_ids` is what the caller may see (None: every campaign, network-wide included);
a campaign outside it is "not found". A pledge locks the campaign's row first (`SELECT … FOR
UPDATE` on PostgreSQL), so two pledges cannot both miss that the goal is reached.
"""

from __future__ import annotations

from sqlalchemy import func, select

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from backbone.paging import windowed
from services.partners.models import Campaign, FundingSource, KnownVillage, Partner, Pledge
from services.partners.schemas import CampaignOutput


def _pledges(uow, campaign_id: str) -> list[Pledge]:
    return uow.session.scalars(
        select(Pledge)
        .where(Pledge.campaign_id == campaign_id)
        .order_by(Pledge.pledged_at, Pledge.id)
    ).all()


def pledged_cents(uow, campaign_id: str) -> int:
    return uow.session.scalar(
        select(func.coalesce(func.sum(Pledge.amount_cents), 0)).where(
            Pledge.campaign_id == campaign_id
        )
    )


def _dump(uow, campaign: Campaign) -> dict:
    pledges = _pledges(uow, campaign.id)
    pledged = sum(p.amount_cents for p in pledges)
    return CampaignOutput().dump(
        {
            **{
                c: getattr(campaign, c)
                for c in (
                    "id",
                    "title",
                    "purpose",
                    "village_id",
                    "goal_cents",
                    "deadline",
                    "status",
                    "launched_at",
                    "closed_at",
                )
            },
            "pledged_cents": pledged,
            "progress_percent": pledged * 100 // campaign.goal_cents,
            "pledges": [
                {
                    c: getattr(p, c)
                    for c in (
                        "id",
                        "amount_cents",
                        "member_id",
                        "partner_id",
                        "pledger_name",
                        "pledged_at",
                    )
                }
                for p in pledges
            ],
        }
    )


def _find(uow, campaign_id, village_ids, *, lock: bool = False) -> Campaign:
    query = select(Campaign).where(Campaign.id == str(campaign_id))
    if lock:
        query = query.with_for_update()
    campaign = uow.session.scalars(query).first()
    if campaign is None or (village_ids is not None and campaign.village_id not in village_ids):
        raise NotFound("campaign", str(campaign_id))
    return campaign


def launch_campaign(uow, data: dict, now=None) -> dict:
    now = now or utcnow()
    if data["village_id"] and uow.session.get(KnownVillage, data["village_id"]) is None:
        raise InvalidInput({"village_id": [msg("unknown_village", village=data["village_id"])]})
    if data["deadline"] <= now:
        raise InvalidInput({"deadline": [msg("deadline_in_past")]})
    campaign = Campaign(**data, status="running", launched_at=now)
    uow.session.add(campaign)
    uow.session.flush()
    uow.record_event(
        "campaign.launched",
        {
            "campaign_id": campaign.id,
            "village_id": campaign.village_id,
            "title": campaign.title,
            "goal_cents": campaign.goal_cents,
            "deadline": campaign.deadline,
        },
        village_id=campaign.village_id,
    )
    uow.commit()
    return _dump(uow, campaign)


def _close(uow, campaign: Campaign, status: str, now) -> None:
    campaign.status, campaign.closed_at = status, now
    pledges = _pledges(uow, campaign.id)
    if status == "funded":
        # the money raised becomes a source of the village's funding (the funding mix)
        uow.session.add(
            FundingSource(
                village_id=campaign.village_id,
                kind="crowdfunding",
                name=campaign.title[:160],
                amount_cents=sum(p.amount_cents for p in pledges),
                starts_on=now.astimezone(PARIS).date(),
                received_on=now.astimezone(PARIS).date(),
                services=[],
            )
        )
    uow.record_event(
        f"campaign.{status}",
        {
            "campaign_id": campaign.id,
            "village_id": campaign.village_id,
            "goal_cents": campaign.goal_cents,
            "pledged_cents": sum(p.amount_cents for p in pledges),
            "pledges": len(pledges),
            "title": campaign.title,
            # the members service tells the pledgers who are members
            "member_ids": sorted({p.member_id for p in pledges if p.member_id}),
        },
        village_id=campaign.village_id,
    )


def pledge(uow, campaign_id, data: dict, village_ids=None, now=None) -> dict:
    """A member's or a partner's pledge. The one that reaches the goal funds the campaign."""
    now = now or utcnow()
    campaign = _find(uow, campaign_id, village_ids, lock=True)
    if campaign.status != "running" or campaign.deadline <= now:
        raise Conflict(
            "campaign_closed", details={"campaign_id": campaign.id, "status": campaign.status}
        )
    if data["partner_id"]:
        partner = uow.session.get(Partner, data["partner_id"])
        if partner is None:
            raise InvalidInput({"partner_id": [msg("unknown_partner", partner=data["partner_id"])]})
        data["pledger_name"] = data["pledger_name"] or partner.name
    promise = Pledge(campaign_id=campaign.id, pledged_at=now, **data)
    uow.session.add(promise)
    uow.session.flush()
    uow.record_event(
        "campaign.pledged",
        {
            "campaign_id": campaign.id,
            "village_id": campaign.village_id,
            "title": campaign.title,
            "pledge_id": promise.id,
            "member_id": promise.member_id,
            "amount_cents": promise.amount_cents,
        },
        village_id=campaign.village_id,
    )
    if pledged_cents(uow, campaign.id) >= campaign.goal_cents:
        _close(uow, campaign, "funded", now)
    uow.commit()
    return _dump(uow, campaign)


def close_campaign(uow, campaign_id, now=None) -> dict:
    """The coordinator ends a running campaign before its deadline (the project is dropped, or
    funded otherwise): it fails, as at its deadline, since reaching the goal would have closed it
    already; its pledgers are told (`campaign.failed`). A closed one is not closed again (409)."""
    now = now or utcnow()
    campaign = _find(uow, campaign_id, None, lock=True)
    if campaign.status != "running":
        raise Conflict(
            "campaign_already_closed",
            details={"campaign_id": campaign.id, "status": campaign.status},
        )
    _close(
        uow,
        campaign,
        "funded" if pledged_cents(uow, campaign.id) >= campaign.goal_cents else "failed",
        now,
    )
    uow.commit()
    return _dump(uow, campaign)


def close_expired(uow, now) -> list[str]:
    """Fail every running campaign whose deadline has passed (under its goal: a funded one is
    already closed). Returns the ids failed; run again, it finds nothing more to do."""
    expired = uow.session.scalars(
        select(Campaign)
        .where(Campaign.status == "running", Campaign.deadline <= now)
        .order_by(Campaign.deadline)
        .with_for_update()
    ).all()
    for campaign in expired:
        _close(uow, campaign, "failed", now)
    ids = [c.id for c in expired]
    uow.commit()
    return ids


def get_campaign(uow, campaign_id, village_ids=None) -> dict:
    return _dump(uow, _find(uow, campaign_id, village_ids))


def list_campaigns(uow, village_ids=None, window: dict | None = None) -> list[dict]:
    query = select(Campaign).order_by(Campaign.deadline)
    if village_ids is not None:
        query = query.where(Campaign.village_id.in_(list(village_ids)))
    return [_dump(uow, c) for c in uow.session.scalars(windowed(query, window, Campaign.id))]
