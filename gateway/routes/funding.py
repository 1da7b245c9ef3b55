"""Routes about funding (partners service): funding sources per village or for the network (a
commune's service contract among them) and crowdfunding campaigns with their pledges. The
coordinator manages them; a concierge reads their own village's (`scope="path:village_id"`)."""

from backbone.errors import InvalidInput, NotFound
from backbone.messages import msg
from gateway.routing import COORDINATOR, STAFF, route
from services.partners.schemas import (
    CampaignInput,
    CampaignOutput,
    FundingSourceInput,
    FundingSourceOutput,
    PledgeInput,
)


class FundingRoutes:
    @route(
        "GET",
        "/api/funding",
        tag="financements",
        roles=COORDINATOR,
        response=FundingSourceOutput,
        many=True,
        paged=True,
        summary="Les sources de financement du réseau et des villages",
    )
    def list_funding(self, call):
        return self.partners_rpc.list_funding_sources(None, call.window)

    @route(
        "POST",
        "/api/funding",
        tag="financements",
        roles=COORDINATOR,
        body=FundingSourceInput,
        response=FundingSourceOutput,
        status=201,
        summary="Ajouter une source de financement (subvention, mécénat, cotisations, marge, "
        "contrat de prestation d'une collectivité)",
    )
    def add_funding(self, call):
        """A service contract names the local authority buying (a client, not a subsidy), the
        services bought and its period."""
        return self.partners_rpc.add_funding_source(call.sent)

    @route(
        "GET",
        "/api/villages/<village_id>/funding",
        tag="financements",
        roles=STAFF,
        scope="path:village_id",
        response=FundingSourceOutput,
        many=True,
        paged=True,
        summary="Les financements du village",
    )
    def village_funding(self, call):
        return self.partners_rpc.list_funding_sources([call.params["village_id"]], call.window)

    @route(
        "GET",
        "/api/campaigns",
        tag="financements",
        roles=COORDINATOR,
        response=CampaignOutput,
        many=True,
        paged=True,
        summary="Les campagnes de financement participatif",
    )
    def list_campaigns(self, call):
        return self.partners_rpc.list_campaigns(None, call.window)

    @route(
        "POST",
        "/api/campaigns",
        tag="financements",
        roles=COORDINATOR,
        body=CampaignInput,
        response=CampaignOutput,
        status=201,
        summary="Lancer une campagne de financement participatif",
    )
    def launch_campaign(self, call):
        """A goal, a deadline in the future; announces `campaign.launched`."""
        return self.partners_rpc.launch_campaign(call.sent)

    @route(
        "GET",
        "/api/campaigns/<campaign_id>",
        tag="financements",
        roles=COORDINATOR,
        response=CampaignOutput,
        errors=(404,),
        summary="Une campagne, ses promesses de dons et sa progression",
    )
    def get_campaign(self, call):
        return self.partners_rpc.get_campaign(call.params["campaign_id"], None)

    @route(
        "POST",
        "/api/campaigns/<campaign_id>/pledges",
        tag="financements",
        roles=COORDINATOR,
        body=PledgeInput,
        response=CampaignOutput,
        status=201,
        errors=(404, 409),
        summary="Enregistrer une promesse de don (habitant·e ou partenaire)",
    )
    def pledge(self, call):
        """The pledge reaching the goal funds and closes the campaign (`campaign.funded`); a closed
        campaign takes no pledge (409). A member pledging is one of the
        network's (members knows)."""
        member_id = call.sent.get("member_id")
        if member_id:
            try:
                self.members_rpc.village_of_member(member_id)
            except NotFound:
                raise InvalidInput(
                    {"member_id": [msg("unknown_member", member=member_id)]}
                ) from None
        return self.partners_rpc.pledge(call.params["campaign_id"], call.sent, None)

    @route(
        "GET",
        "/api/villages/<village_id>/campaigns",
        tag="financements",
        roles=STAFF,
        scope="path:village_id",
        response=CampaignOutput,
        many=True,
        paged=True,
        summary="Les campagnes de financement du village",
    )
    def village_campaigns(self, call):
        return self.partners_rpc.list_campaigns([call.params["village_id"]], call.window)
