"""Entrypoints of the partners service."""

from backbone import config
from backbone.clock import utcnow
from backbone.consumer import consume_event
from backbone.dependencies import DatabaseProvider, OutboxRelayInProcess
from backbone.figures import parse_period
from backbone.health import service_health
from backbone.log_context import LogContext
from backbone.network_facts_entrypoints import VillageFactsEntrypoints
from backbone.operations import Operations
from backbone.retention import RetentionTimer
from backbone.rpc import rpc_method
from backbone.timer import timer
from backbone.woken_timer import woken_timer
from services.partners import (
    audience,
    campaigns,
    catalogues,
    commune_links,
    consignment,
    deliveries,
    erasure,
    figures,
    funding,
    funding_mix,
    invoicing,
    offers,
    partners,
    read_models,
    removal,
    subscriptions,
)
from services.partners.schemas import (
    ApiKeyInput,
    AvailabilityInput,
    CampaignInput,
    CatalogueEntryInput,
    CatalogueEntryUpdate,
    FundingSourceInput,
    OfferInput,
    PartnerInput,
    PledgeInput,
)
from services.partners.schemas.commune_links import (
    CommuneLinkIssuedOutput,
    CommuneLinkStatusOutput,
    CommuneOutput,
    CommuneTokenInput,
)
from services.partners.schemas.money import (
    InKindInput,
    InvoiceSentInput,
    MonthInput,
    ServiceContractInput,
)
from services.partners.schemas.partners import (
    PartnerRemovalInput,
    PartnerRemovedOutput,
    PartnerUpdateInput,
)
from services.partners.schemas.subscriptions import DeliveryQuery, WebhookInput

EVENT_BATCH = 50  # partners' events claimed and written in one transaction when they queue up
# The queue `on_money_event` and `on_partner_event` share (`partners.events`): an order's events are
# delivered to this service once, not once per handler (issue #30); each handler still claims and
# writes its own in its own transaction.
EVENTS_QUEUE = "events"


class PartnersService(RetentionTimer, VillageFactsEntrypoints):
    name = "partners"
    facts = read_models.facts  # the villages it keeps (backbone/network_facts.py)

    db = DatabaseProvider("partners")
    outbox_relay = OutboxRelayInProcess("partners")
    log_context = LogContext()
    ops = Operations(deliveries.parked_gauges)  # /livez, /readyz, /metrics (backbone/operations.py)

    def purge_own_expired(self, uow, now):
        erasure.purge_delivery_bodies(uow, now, config.delivery_retention_days())
        consignment.purge_settled_orders(uow, now)

    @rpc_method(inputs={"data": PartnerInput})
    def register_partner(self, uow, data):
        return partners.register_partner(uow, data)

    @rpc_method()
    def rotate_api_key(self, uow, partner_id):
        return partners.rotate_api_key(uow, str(partner_id))

    @rpc_method()
    def revoke_api_keys(self, uow, partner_id):
        return {"revoked": partners.revoke_api_keys(uow, str(partner_id))}

    @rpc_method(inputs={"data": PartnerRemovalInput}, unit_of_work=False)
    def remove_partner(self, partner_id, data):
        """The partnership ends (services/partners/removal.py): one
        transaction, then its broker feed."""
        removed = removal.remove_partner(self.db, str(partner_id), data["reason"].strip())
        return PartnerRemovedOutput().dump(removed)

    @timer(interval=60)
    def delete_ended_feeds(self):
        """The broker feeds of removed partners that could not be deleted at the
        removal (broker away)."""
        removal.delete_ended_feeds(self.db)

    @rpc_method(schema=ApiKeyInput)
    def authenticate_api_key(self, uow, api_key):
        return partners.authenticate_api_key(uow, api_key)

    @rpc_method()
    def get_partner(self, uow, partner_id):
        return partners.get_partner(uow, str(partner_id))

    @rpc_method(inputs={"data": PartnerUpdateInput})
    def update_partner(self, uow, partner_id, data):
        return partners.update_partner(uow, str(partner_id), data)

    @rpc_method()
    def list_partners(self, uow, village_id=None, window=None, include_ended=False):
        return partners.list_partners(uow, village_id, window, bool(include_ended))

    # --- a commune's read-only link (commune_links.py) ---

    @rpc_method()
    def issue_commune_link(self, uow, partner_id):
        """A new link for a local authority (the older one revoked): its token, shown once."""
        return CommuneLinkIssuedOutput().dump(commune_links.issue_link(uow, str(partner_id)))

    @rpc_method()
    def revoke_commune_link(self, uow, partner_id):
        return {"revoked": commune_links.revoke_links(uow, str(partner_id))}

    @rpc_method()
    def commune_link_status(self, uow, partner_id):
        return CommuneLinkStatusOutput().dump(commune_links.link_status(uow, str(partner_id)))

    @rpc_method(schema=CommuneTokenInput)
    def open_commune_link(self, uow, token):
        """The commune a link opens and the villages it funds; AuthenticationFailed otherwise."""
        return CommuneOutput().dump(commune_links.open_link(uow, token))

    # --- offers and village catalogues (offers.py, catalogues.py) -------------------------------

    @rpc_method(inputs={"data": OfferInput})
    def create_offer(self, uow, partner_id, data):
        return offers.create_offer(uow, str(partner_id), data)

    @rpc_method(inputs={"data": OfferInput})
    def update_offer(self, uow, partner_id, offer_id, data):
        return offers.update_offer(uow, str(partner_id), str(offer_id), data)

    @rpc_method(inputs={"data": AvailabilityInput})
    def set_offer_availability(self, uow, partner_id, offer_id, data):
        return offers.set_availability(uow, str(partner_id), str(offer_id), data)

    @rpc_method()
    def get_offer(self, uow, partner_id, offer_id):
        return offers.get_offer(uow, str(partner_id), str(offer_id))

    @rpc_method()
    def list_offers(self, uow, partner_id, window=None):
        return offers.list_offers(uow, str(partner_id), window)

    @rpc_method()
    def village_offers(self, uow, village_id):
        return offers.offers_in_village(uow, str(village_id))

    @rpc_method()
    def get_catalogue(self, uow, village_id):
        return catalogues.get_catalogue(uow, str(village_id))

    @rpc_method(inputs={"data": CatalogueEntryInput})
    def add_catalogue_entry(self, uow, village_id, data):
        return catalogues.add_entry(uow, str(village_id), data)

    @rpc_method(inputs={"data": CatalogueEntryUpdate})
    def update_catalogue_entry(self, uow, village_id, item_id, data):
        return catalogues.update_entry(uow, str(village_id), str(item_id), data)

    @rpc_method()
    def remove_catalogue_entry(self, uow, village_id, item_id):
        return catalogues.remove_entry(uow, str(village_id), str(item_id))

    # --- funding and crowdfunding (funding.py, campaigns.py, figures.py) ------------------------

    @rpc_method(inputs={"data": FundingSourceInput})
    def add_funding_source(self, uow, data):
        return funding.add_funding_source(uow, data)

    @rpc_method()
    def list_funding_sources(self, uow, village_ids=None, window=None):
        return funding.list_funding_sources(uow, village_ids, window)

    @rpc_method(inputs={"data": CampaignInput})
    def launch_campaign(self, uow, data):
        return campaigns.launch_campaign(uow, data)

    @rpc_method(inputs={"data": PledgeInput})
    def pledge(self, uow, campaign_id, data, village_ids=None):
        return campaigns.pledge(uow, str(campaign_id), data, village_ids)

    @rpc_method()
    def get_campaign(self, uow, campaign_id, village_ids=None):
        return campaigns.get_campaign(uow, str(campaign_id), village_ids)

    @rpc_method()
    def list_campaigns(self, uow, village_ids=None, window=None):
        return campaigns.list_campaigns(uow, village_ids, window)

    @rpc_method()
    def close_campaign(self, uow, campaign_id):
        """The coordinator ends a running campaign now."""
        return campaigns.close_campaign(uow, str(campaign_id))

    @timer(interval=60)
    def close_expired_campaigns(self):
        """Campaigns whose deadline passed under their goal fail (`campaign.failed`)."""
        with self.db.unit_of_work() as uow:
            campaigns.close_expired(uow, utcnow())

    @rpc_method()
    def village_figures(self, uow, date_from, date_to, village_ids=None, details=None):
        """The coordinator's figures of this service (services/partners/figures.py)."""
        query = parse_period(date_from, date_to, village_ids, details)
        return figures.village_figures(
            uow, query["date_from"], query["date_to"], query["village_ids"]
        )

    # --- money: producers' statements, the commune's invoices, the funding mix -------------------
    # (services/partners/consignment.py, invoicing.py, funding_mix.py)

    @consume_event(*consignment.MONEY_EVENTS, batch=EVENT_BATCH, queue=EVENTS_QUEUE)
    def on_money_event(self, uow, events):
        """Sales at the till, orders handed over, services delivered: the read models of the
        producers' statements and the commune's invoices."""
        consignment.record_money_events(uow, events)

    @rpc_method(schema=MonthInput)
    def consignment_statement(self, uow, partner_id, month):
        """One producer's statement for a month (YYYY-MM)."""
        return consignment.statement(uow, str(partner_id), month)

    @rpc_method(schema=MonthInput)
    def consignment_statements(self, uow, month):
        """Every producer's statement of a month (the accountant's file)."""
        return consignment.statements_of_month(uow, month)

    @rpc_method(inputs={"data": ServiceContractInput})
    def create_service_contract(self, uow, data):
        return invoicing.create_contract(uow, data)

    @rpc_method()
    def list_service_contracts(self, uow, partner_id=None):
        return invoicing.list_contracts(uow, partner_id)

    @rpc_method()
    def get_service_contract(self, uow, contract_id):
        return invoicing.get_contract(uow, str(contract_id))

    @rpc_method(schema=MonthInput)
    def contract_month(self, uow, contract_id, month):
        """The month's statement of a contract: the invoice as issued, or as it would be now."""
        return invoicing.month_statement(uow, str(contract_id), month)

    @rpc_method(schema=MonthInput)
    def issue_invoice(self, uow, contract_id, month):
        return invoicing.issue_invoice(uow, str(contract_id), month)

    @rpc_method()
    def get_invoice(self, uow, invoice_id):
        return invoicing.get_invoice(uow, str(invoice_id))

    @rpc_method()
    def commune_invoices(self, uow, partner_id):
        """The invoices issued to a commune, the latest first."""
        return invoicing.invoices_of(uow, str(partner_id))

    @rpc_method(inputs={"data": InvoiceSentInput})
    def mark_invoice_sent(self, uow, invoice_id, data):
        return invoicing.mark_sent(uow, str(invoice_id), data["sent_to"])

    @rpc_method()
    def mark_invoice_paid(self, uow, invoice_id):
        return invoicing.mark_paid(uow, str(invoice_id))

    @rpc_method(inputs={"data": InKindInput})
    def add_in_kind(self, uow, data):
        return funding_mix.add_in_kind(uow, data)

    @rpc_method()
    def funding_mix(self, uow, date_from, date_to, village_ids=None):
        """Per village, the period's money by origin (services/partners/funding_mix.py)."""
        query = parse_period(date_from, date_to, village_ids, None)
        return funding_mix.funding_mix(
            uow, query["date_from"], query["date_to"], query["village_ids"]
        )

    # --- RGPD: one inhabitant's data (services/partners/erasure.py) ---

    @consume_event("member.erased")
    def on_member_erased(self, uow, event):
        erasure.record_member_erased(uow, event)

    @rpc_method()
    def member_data(self, uow, member_id):
        """RGPD export: what partners holds about one member (their pledges)."""
        return erasure.member_data(uow, str(member_id))

    # --- subscriptions: webhooks, AMQP feed, deliveries (services/partners/subscriptions.py) ---

    @consume_event(*audience.EVENT_TYPES, batch=EVENT_BATCH, queue=EVENTS_QUEUE)
    def on_partner_event(self, uow, events):
        """Every type partners may receive (audience.RULES): one delivery per
        subscription concerned. Each order makes two or three of these events: they come
        in batches, one commit each."""
        subscriptions.record_deliveries(uow, events)

    @woken_timer(interval=config.delivery_poll_seconds, woken_by=deliveries.WOKEN_BY, eager=True)
    def send_deliveries(self):
        """Run at start (what was pending before), when a commit made deliveries due (the events
        above, a redelivery), when a retry falls due, and at least every
        MAILLAGE_DELIVERY_POLL_SECONDS (backbone/woken_timer.py)."""
        deliveries.send_due(self.db)
        return deliveries.seconds_to_next_look(self.db)

    @rpc_method(inputs={"data": WebhookInput})
    def create_webhook(self, uow, partner_id, data):
        return subscriptions.create_webhook(uow, str(partner_id), data)

    @rpc_method()
    def list_webhooks(self, uow, partner_id):
        return subscriptions.list_webhooks(uow, str(partner_id))

    @rpc_method()
    def delete_webhook(self, uow, partner_id, subscription_id):
        return subscriptions.delete_webhook(uow, str(partner_id), str(subscription_id))

    @rpc_method(unit_of_work=False)
    def partner_event_types(self):
        return subscriptions.event_types()

    @rpc_method()
    def create_feed_account(self, uow, partner_id):
        return subscriptions.create_feed_account(uow, str(partner_id))

    @rpc_method(inputs={"query": DeliveryQuery})
    def list_deliveries(self, uow, query, partner_id=None):
        """`partner_id` set: that partner's own deliveries only (whatever the query says)."""
        if partner_id is not None:
            query["partner_id"] = str(partner_id)
        return deliveries.list_deliveries(uow, query)

    @rpc_method()
    def get_delivery(self, uow, delivery_id, partner_id=None):
        return deliveries.get_delivery(uow, str(delivery_id), partner_id)

    @rpc_method()
    def redeliver(self, uow, delivery_id, partner_id=None):
        return deliveries.redeliver(uow, str(delivery_id), partner_id)

    @rpc_method()
    def redeliver_parked(self, uow, partner_id):
        """The coordinator's "send them all again" for one partner."""
        return deliveries.redeliver_parked(uow, str(partner_id))

    @rpc_method(unit_of_work=False)
    def health(self):
        return service_health(self.db, self.name)
