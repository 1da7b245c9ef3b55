"""Routes about notices (members service): the concierge's list "à prévenir" — members to tell
that an animation was cancelled, by SMS or e-mail (sent by the service) or by a call the
concierge makes and marks done.

The list names people with their phone and e-mail: it is for the concierge of the village only
(the coordinator sees aggregates, not personal data: 403, as for the members' routes)."""

from html import escape

from werkzeug.wrappers import Response

from gateway.queries import OptOutQuery
from gateway.routing import route
from services.members.schemas.notices import (
    DeliveryLogFiltersInput,
    DeliveryLogOutput,
    NoticeDoneInput,
    NoticeFiltersInput,
    NoticeOutput,
    OptOutInput,
    OptOutOutput,
)

OPT_OUT_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Maillage : désabonnement</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em">
<h1>Ne plus recevoir de messages</h1>
{body}</body></html>"""


class NoticeRoutes:
    @route(
        "GET",
        "/api/villages/<village_id>/notices",
        tag="notices",
        roles=("concierge",),
        scope="path:village_id",
        response=NoticeOutput,
        many=True,
        paged=True,
        summary="À prévenir : les habitant·es à informer (?status=to_send, sent ou done)",
        query=NoticeFiltersInput,
    )
    def list_notices(self, call):
        """Calls to make first. SMS and e-mails go out by themselves (services/members/channels)."""
        return self.members_rpc.list_notices(
            call.params["village_id"], call.query_sent, call.window
        )

    @route(
        "POST",
        "/api/villages/<village_id>/notices/<notice_id>/done",
        tag="notices",
        roles=("concierge",),
        scope="path:village_id",
        body=NoticeDoneInput,
        response=NoticeOutput,
        errors=(404, 409),
        summary="J'ai appelé : la personne est prévenue",
    )
    def mark_notice_done(self, call):
        """Only a call (409 for an SMS or e-mail), once (409)."""
        return self.members_rpc.mark_notice_done(
            call.params["village_id"], call.params["notice_id"]
        )

    @route(
        "GET",
        "/api/villages/<village_id>/notices/log",
        tag="notices",
        roles=("concierge",),
        scope="path:village_id",
        response=DeliveryLogOutput,
        many=True,
        paged=True,
        summary="Journal des envois : envoyés, en échec, abandonnés (?outcome=sent, waiting, "
        "failed, parked, to_call ou called), et pourquoi",
        query=DeliveryLogFiltersInput,
    )
    def notice_delivery_log(self, call):
        """Newest first; `why` is the provider's answer to the last failure. A notice parked after
        too many failures is on the list « à prévenir » as a call."""
        return self.members_rpc.notice_delivery_log(
            call.params["village_id"], call.query_sent, call.window
        )

    @route(
        "GET",
        "/desabonnement",
        tag="notices",
        summary="Page du lien de désabonnement des e-mails",
        query=OptOutQuery,
    )
    def opt_out_page(self, call):
        """Public: the link of every e-mail. Opening it changes nothing (mail scanners open
        links): the button does."""
        token = call.query["jeton"]
        body = (
            "<p>Vous ne recevrez plus de SMS ni d'e-mails de votre conciergerie ; "
            "elle pourra encore vous appeler quand quelque chose vous concerne "
            "(un colis, une commande).</p>"
            f'<form method="post" action="/desabonnement?jeton={escape(token, quote=True)}">'
            '<button type="submit">Ne plus recevoir de messages</button></form>'
        )
        return Response(OPT_OUT_PAGE.format(body=body), mimetype="text/html")

    @route(
        "POST",
        "/desabonnement",
        tag="notices",
        body=OptOutInput,
        response=OptOutOutput,
        errors=(400,),
        summary="Désabonnement : retire le consentement à être contacté·e (lien signé d'un e-mail)",
        query=OptOutQuery,
    )
    def opt_out(self, call):
        """The token of the link (`?jeton=`, or `token` in the body) names the person; a token that
        is not ours is 400. The page's button posts an empty body."""
        result = self.members_rpc.opt_out(call.body.get("token") or call.query["jeton"])
        if "text/html" in (call.request.headers.get("Accept") or ""):
            return Response(
                OPT_OUT_PAGE.format(body="<p>C'est fait : vous ne recevrez plus de messages.</p>"),
                mimetype="text/html",
            )
        return result
