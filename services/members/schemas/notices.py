"""Shapes of notices (telling members something: an animation cancelled, a parcel, an order ready)
and of their delivery log."""

from marshmallow import fields, validate

from backbone.schemas import Schema

NOTICE_CHANNELS = {"sms": "SMS", "email": "e-mail", "call": "appel de la conciergerie"}
NOTICE_STATUSES = {"to_send": "à prévenir", "sent": "envoyé", "done": "prévenu·e"}
NOTICE_SOURCES = {
    "animation.cancelled": "animation annulée",
    "parcel.received": "colis arrivé",
    "order.ready": "commande prête",
    "parcel.returned": "colis renvoyé à l'expéditeur",
    "parcel.reminder": "rappel : colis en attente",
    "parcel.code_resent": "code de retrait renvoyé",
    "animation.registered": "inscription à une animation",
    "animation.promoted": "place libérée à une animation",
    "animation.reminder_due": "rappel : animation demain",
    "help_request.assigned": "coup de main demandé à un·e bénévole",
    "help_request.accepted": "coup de main accepté",
    "help_request.reminder_due": "rappel : coup de main demain",
    "campaign.pledged": "merci pour une promesse de don",
    "campaign.funded": "campagne financée",
    "campaign.failed": "campagne non financée",
    "staff.account_created": "compte de la console créé",
    "staff.password_reset": "mot de passe réinitialisé",
    "member.sign_in_link": "lien de connexion à l'espace personnel",
    "sale.receipt_requested": "ticket de caisse par e-mail",
}
# what became of a notice, in the delivery log
DELIVERY_OUTCOMES = {
    "sent": "envoyé",
    "waiting": "en attente d'envoi",
    "failed": "échec, nouvel essai prévu",
    "parked": "abandonné après plusieurs échecs : à appeler",
    "to_call": "à appeler",
    "called": "appelé·e",
}


class NoticeFiltersInput(Schema):
    status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(tuple(NOTICE_STATUSES))
    )


class NoticeDoneInput(Schema):
    """Marking a call done takes nothing more: an empty object (or no body)."""


# what a call the concierge made came to
CALL_OUTCOMES = {"reached": "prévenu·e", "no_answer": "pas de réponse"}


class CallOutcomeInput(Schema):
    """A call made: `reached` marks the notice done; `no_answer` counts the call and leaves the
    notice on the list, to call again."""

    outcome = fields.String(required=True, validate=validate.OneOf(tuple(CALL_OUTCOMES)))


class NoticeOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    member_id = fields.String()
    display_name = fields.String(allow_none=True)
    phone = fields.String(
        allow_none=True, metadata={"description": "To call (channel call) or the SMS number."}
    )
    email = fields.String(allow_none=True)
    source_type = fields.String(metadata={"description": "What it tells: animation.cancelled."})
    source_ref = fields.String(metadata={"description": "Id of what it is about (the animation)."})
    channel = fields.String(metadata={"description": "sms, email or call (by the concierge)."})
    channel_label = fields.String()
    status = fields.String(
        metadata={"description": "to_send, sent (sms, email) or done (a call made)."}
    )
    status_label = fields.String()
    message = fields.String()
    attempts = fields.Integer(metadata={"description": "Sending attempts that failed."})
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    done_at = fields.AwareDateTime(allow_none=True)
    next_attempt_at = fields.AwareDateTime(
        allow_none=True,
        metadata={
            "description": "When it is tried again (after a failure, "
            "or 08:00 for an SMS in the quiet hours)."
        },
    )
    last_error = fields.String(
        allow_none=True, metadata={"description": "Why the last sending failed."}
    )
    parked_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "When it was given up after too many failures and became a call."},
    )
    unanswered_calls = fields.Integer(
        metadata={"description": "Calls made by the concierge that reached nobody."}
    )
    last_called_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When the last unanswered call was made."}
    )


class DeliveryLogFiltersInput(Schema):
    outcome = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(tuple(DELIVERY_OUTCOMES))
    )


class DeliveryLogOutput(Schema):
    """One line of a village's delivery log: what was sent, failed or parked, and why."""

    notice_id = fields.String()
    member_id = fields.String(
        allow_none=True, metadata={"description": "null: a till receipt's walk-in buyer."}
    )
    display_name = fields.String(allow_none=True)
    source_type = fields.String()
    source_ref = fields.String(
        allow_none=True, metadata={"description": "What it is about (a till receipt: the sale)."}
    )
    source_label = fields.String(metadata={"description": "What it told, in French."})
    channel = fields.String()
    channel_label = fields.String()
    outcome = fields.String(
        metadata={"description": "sent, waiting, failed, parked, to_call or called."}
    )
    outcome_label = fields.String()
    attempts = fields.Integer()
    why = fields.String(
        allow_none=True, metadata={"description": "The provider's answer to the last failure."}
    )
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    parked_at = fields.AwareDateTime(allow_none=True)
    done_at = fields.AwareDateTime(allow_none=True)


class OptOutInput(Schema):
    """The token of the opt-out link; it may come in the address instead
    (`?jeton=`): an empty body."""

    token = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class OptOutOutput(Schema):
    withdrawn = fields.Boolean(
        metadata={"description": "Whether a consent to be contacted was withdrawn now."}
    )
