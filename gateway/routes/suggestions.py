"""Routes about suggestions (events service): what inhabitants ask for, recorded by the concierge,
supported by other members, answered through a workflow; the coordinator's view across villages
(network signals, how fast hubs answer)."""

from gateway.queries import SuggestionListQuery
from gateway.routing import COORDINATOR, STAFF, route
from services.events.schemas import (
    KindOutput,
    SuggestionInput,
    SuggestionOutput,
    SuggestionOverviewOutput,
    SuggestionStatusInput,
    SupportInput,
)

_SUGGESTION = "/api/villages/<village_id>/suggestions/<suggestion_id>"


class SuggestionRoutes:
    @route(
        "GET",
        "/api/suggestion-categories",
        tag="concertation",
        roles=STAFF,
        response=KindOutput,
        many=True,
        summary="Les catégories de suggestions",
    )
    def suggestion_categories(self, call):
        return self.events_rpc.suggestion_categories()

    @route(
        "GET",
        "/api/villages/<village_id>/suggestions",
        tag="concertation",
        roles=STAFF,
        scope="path:village_id",
        response=SuggestionOutput,
        many=True,
        paged=True,
        summary="Les suggestions du village (?status=new, ?category=mobilite)",
        query=SuggestionListQuery,
    )
    def list_suggestions(self, call):
        return self.events_rpc.list_suggestions(
            call.params["village_id"], call.query_sent, call.window
        )

    @route(
        "POST",
        "/api/villages/<village_id>/suggestions",
        tag="concertation",
        roles=STAFF,
        scope="path:village_id",
        body=SuggestionInput,
        response=SuggestionOutput,
        status=201,
        errors=(404,),
        summary="Noter une suggestion d'un·e habitant·e",
    )
    def create_suggestion(self, call):
        """Announces `suggestion.made`."""
        return self.events_rpc.create_suggestion(call.params["village_id"], call.sent)

    @route(
        "GET",
        _SUGGESTION,
        tag="concertation",
        roles=STAFF,
        scope="path:village_id",
        response=SuggestionOutput,
        errors=(404,),
        summary="Une suggestion",
    )
    def get_suggestion(self, call):
        return self.events_rpc.get_suggestion(
            call.params["suggestion_id"], [call.params["village_id"]]
        )

    @route(
        "POST",
        _SUGGESTION + "/supports",
        tag="concertation",
        roles=STAFF,
        scope="path:village_id",
        body=SupportInput,
        response=SuggestionOutput,
        errors=(404,),
        summary="Un·e habitant·e du réseau soutient une suggestion (une fois)",
    )
    def support_suggestion(self, call):
        """`village_id` is the hub recording the support: a suggestion of its own village, by a
        member of any village of the network, or a suggestion of any village, by one of its own
        inhabitants (a need felt next door counts too: it is counted in the supporter's village).
        A member the network does not know is a 400 naming `member_id`; a second support by the
        same person changes nothing and answers the suggestion as it is."""
        return self.events_rpc.support_suggestion(
            call.params["suggestion_id"], call.sent, [call.params["village_id"]]
        )

    @route(
        "PUT",
        _SUGGESTION + "/status",
        tag="concertation",
        roles=STAFF,
        scope="path:village_id",
        body=SuggestionStatusInput,
        response=SuggestionOutput,
        errors=(404, 409),
        summary="Répondre : à l'étude → prévue → réalisée, ou refusée avec un motif",
    )
    def change_suggestion_status(self, call):
        """A jump that skips a step is a 409 naming the states. When planned or done, `answered_by`
        names what answers it (`{"kind": "offer"|"animation"|"partner", "id": ...}`): one that
        points to nothing is a 400. Announces `suggestion.answered`."""
        return self.events_rpc.change_suggestion_status(
            call.params["suggestion_id"], call.sent, [call.params["village_id"]]
        )

    @route(
        "GET",
        "/api/suggestions/overview",
        tag="concertation",
        roles=COORDINATOR,
        response=SuggestionOverviewOutput,
        summary="Signaux du réseau : besoins soulevés dans "
        "plusieurs villages, délai médian de réponse",
    )
    def suggestions_overview(self, call):
        return self.events_rpc.suggestions_overview(None)
