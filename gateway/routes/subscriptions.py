"""Routes of partners' subscriptions (partners service): a partner (by API key) manages its
webhooks, reads its delivery log, asks for a redelivery and opens its AMQP feed account; the
coordinator reads any partner's deliveries and the parked ones. A partner only ever sees its own:
the service is given the caller's partner id, whatever the request says."""

from gateway.queries import OwnDeliveryQuery
from gateway.routing import COORDINATOR, PARTNER, route
from services.partners.schemas.subscriptions import (
    DeliveryDetailOutput,
    DeliveryOutput,
    DeliveryPageOutput,
    DeliveryQuery,
    EventTypeOutput,
    FeedAccountOutput,
    NoInput,
    WebhookCreatedOutput,
    WebhookInput,
    WebhookOutput,
)

_PAGING = "?page=1&per_page=50 (at most 200), ?status=pending|delivered|parked"


class SubscriptionRoutes:
    @route(
        "GET",
        "/api/partner/event-types",
        tag="abonnements",
        roles=PARTNER,
        response=EventTypeOutput,
        many=True,
        summary="Les types d'événements qu'un partenaire peut recevoir",
    )
    def partner_event_types(self, call):
        return self.partners_rpc.partner_event_types()

    @route(
        "POST",
        "/api/partner/webhooks",
        tag="abonnements",
        roles=PARTNER,
        body=WebhookInput,
        response=WebhookCreatedOutput,
        status=201,
        summary="Abonner une adresse web (webhook) à des "
        "événements ; son secret est montré une fois",
    )
    def create_webhook(self, call):
        """The URL is http or https; event types among GET /api/partner/event-types. Every body is
        signed as Standard Webhooks says: `webhook-id` (the event id), `webhook-timestamp`,
        `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` keyed with the
        secret `whsec_<base64>`; its ready-made verifiers check it."""
        return self.partners_rpc.create_webhook(call.principal.id, call.sent)

    @route(
        "GET",
        "/api/partner/webhooks",
        tag="abonnements",
        roles=PARTNER,
        response=WebhookOutput,
        many=True,
        summary="Mes webhooks",
    )
    def list_webhooks(self, call):
        return self.partners_rpc.list_webhooks(call.principal.id)

    @route(
        "DELETE",
        "/api/partner/webhooks/<subscription_id>",
        tag="abonnements",
        roles=PARTNER,
        response=WebhookOutput,
        errors=(404,),
        summary="Supprimer un webhook (ses envois en attente s'arrêtent)",
    )
    def delete_webhook(self, call):
        return self.partners_rpc.delete_webhook(call.principal.id, call.params["subscription_id"])

    @route(
        "GET",
        "/api/partner/deliveries",
        tag="abonnements",
        roles=PARTNER,
        response=DeliveryPageOutput,
        summary="Mon journal des envois (webhooks et flux AMQP), du plus récent au plus ancien",
        description=_PAGING,
        query=OwnDeliveryQuery,
    )
    def partner_deliveries(self, call):
        return self.partners_rpc.list_deliveries(call.query_sent, call.principal.id)

    @route(
        "GET",
        "/api/partner/deliveries/<delivery_id>",
        tag="abonnements",
        roles=PARTNER,
        response=DeliveryDetailOutput,
        errors=(404,),
        summary="Un envoi : l'événement envoyé et chaque tentative",
    )
    def partner_delivery(self, call):
        return self.partners_rpc.get_delivery(call.params["delivery_id"], call.principal.id)

    @route(
        "POST",
        "/api/partner/deliveries/<delivery_id>/redeliver",
        tag="abonnements",
        roles=PARTNER,
        body=NoInput,
        response=DeliveryOutput,
        errors=(404, 409),
        summary="Renvoyer un événement dès maintenant (même déjà reçu ou mis de côté)",
    )
    def redeliver(self, call):
        return self.partners_rpc.redeliver(call.params["delivery_id"], call.principal.id)

    @route(
        "POST",
        "/api/partner/feed",
        tag="abonnements",
        roles=PARTNER,
        body=NoInput,
        response=FeedAccountOutput,
        status=201,
        errors=(409,),
        summary="Ouvrir mon flux AMQP : mon utilisateur RabbitMQ (mot de passe montré une fois)",
    )
    def create_feed_account(self, call):
        """Bind your queue (`partner-<id>.…`) to the exchange with keys starting with your prefix:
        the broker refuses any other key. Asking again sets a new password."""
        return self.partners_rpc.create_feed_account(call.principal.id)

    @route(
        "GET",
        "/api/deliveries",
        tag="abonnements",
        roles=COORDINATOR,
        response=DeliveryPageOutput,
        summary="Les envois aux partenaires (?partner_id=…, ?status=parked : ceux mis de côté)",
        description=_PAGING + ", ?partner_id=",
        query=DeliveryQuery,
    )
    def all_deliveries(self, call):
        return self.partners_rpc.list_deliveries(call.query_sent)

    @route(
        "GET",
        "/api/deliveries/<delivery_id>",
        tag="abonnements",
        roles=COORDINATOR,
        response=DeliveryDetailOutput,
        errors=(404,),
        summary="Un envoi à un partenaire et ses tentatives",
    )
    def any_delivery(self, call):
        return self.partners_rpc.get_delivery(call.params["delivery_id"])

    @route(
        "POST",
        "/api/deliveries/<delivery_id>/redeliver",
        tag="abonnements",
        roles=COORDINATOR,
        body=NoInput,
        response=DeliveryOutput,
        errors=(404, 409),
        summary="Renvoyer un envoi mis de côté, une fois le partenaire réparé",
    )
    def coordinator_redeliver(self, call):
        return self.partners_rpc.redeliver(call.params["delivery_id"])
