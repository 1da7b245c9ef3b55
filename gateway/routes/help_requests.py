"""Routes about help requests (coups de main, orders service): a village's requests, the volunteers
proposed for each (with their reasons), and the workflow requested → assigned → accepted → done →
confirmed (the minutes then go to the volunteer's time bank) or cancelled. A concierge acts on their
own village (`scope="path:village_id"`), the coordinator on all; a request of another village is
"not found"."""

from gateway.queries import HelpRequestListQuery
from gateway.routing import STAFF, route
from services.orders.schemas.help_requests import (
    AcceptInput,
    AssignInput,
    ConfirmInput,
    DoneInput,
    HelpCancelInput,
    HelpRequestInput,
    HelpRequestOutput,
)

_REQUESTS = "/api/villages/<village_id>/help-requests"
_REQUEST = _REQUESTS + "/<help_request_id>"


def _here(call) -> list[str]:
    return [call.params["village_id"]]


class HelpRequestRoutes:
    @route(
        "POST",
        _REQUESTS,
        tag="coups de main",
        roles=STAFF,
        scope="path:village_id",
        body=HelpRequestInput,
        response=HelpRequestOutput,
        status=201,
        errors=(404,),
        summary="Demander un coup de main pour un·e habitant·e (compétence, créneau, lieu)",
    )
    def create_help_request(self, call):
        """The requester is a member of the village; the window is not in the past and lasts at most
        12 hours. The answer lists the volunteers proposed, best first, each with its reasons; with
        none the request is « sans bénévole » (a missing-skill signal for the skills map). The skill
        is a code of the network's list (`GET /api/skills`) or a need the list does not hold yet
        (« plomberie »): nobody has it, and the skills map shows it to the coordinator as a need
        outside the list."""
        return self.orders_rpc.create_help_request(call.params["village_id"], call.sent)

    @route(
        "GET",
        _REQUESTS,
        tag="coups de main",
        roles=STAFF,
        scope="path:village_id",
        response=HelpRequestOutput,
        many=True,
        errors=(400,),
        paged=True,
        summary="Les demandes de coups de main du village (?status=requested…)",
        query=HelpRequestListQuery,
    )
    def list_help_requests(self, call):
        return self.orders_rpc.list_help_requests(
            call.params["village_id"], call.query_sent.get("status"), call.window
        )

    @route(
        "GET",
        _REQUEST,
        tag="coups de main",
        roles=STAFF,
        scope="path:village_id",
        response=HelpRequestOutput,
        errors=(404,),
        summary="Une demande, avec les bénévoles proposé·es (et pourquoi) tant qu'elle attend",
    )
    def get_help_request(self, call):
        return self.orders_rpc.get_help_request(call.params["help_request_id"], _here(call))

    @route(
        "POST",
        _REQUEST + "/assign",
        tag="coups de main",
        roles=STAFF,
        scope="path:village_id",
        body=AssignInput,
        response=HelpRequestOutput,
        errors=(404, 409),
        summary="Confier la demande à l'un·e des bénévoles proposé·es",
    )
    def assign_help_request(self, call):
        return self.orders_rpc.assign_help_request(
            call.params["help_request_id"], call.sent, _here(call)
        )

    @route(
        "POST",
        _REQUEST + "/accept",
        tag="coups de main",
        roles=STAFF,
        scope="path:village_id",
        body=AcceptInput,
        response=HelpRequestOutput,
        errors=(404, 409),
        summary="Noter que le·la bénévole a accepté",
    )
    def accept_help_request(self, call):
        return self.orders_rpc.accept_help_request(call.params["help_request_id"], _here(call))

    @route(
        "POST",
        _REQUEST + "/done",
        tag="coups de main",
        roles=STAFF,
        scope="path:village_id",
        body=DoneInput,
        response=HelpRequestOutput,
        errors=(404, 409),
        summary="Noter que c'est fait, avec le temps donné (minutes)",
    )
    def help_request_done(self, call):
        return self.orders_rpc.help_request_done(
            call.params["help_request_id"], call.sent, _here(call)
        )

    @route(
        "POST",
        _REQUEST + "/confirm",
        tag="coups de main",
        roles=STAFF,
        scope="path:village_id",
        body=ConfirmInput,
        response=HelpRequestOutput,
        errors=(404, 409),
        summary="La personne aidée confirme : les heures du·de la bénévole sont créditées",
    )
    def confirm_help_request(self, call):
        """Once (again is a 409): publishes `help_request.completed`, credited
        once in the time bank."""
        return self.orders_rpc.confirm_help_request(call.params["help_request_id"], _here(call))

    @route(
        "POST",
        _REQUEST + "/cancel",
        tag="coups de main",
        roles=STAFF,
        scope="path:village_id",
        body=HelpCancelInput,
        response=HelpRequestOutput,
        errors=(404, 409),
        summary="Annuler la demande",
    )
    def cancel_help_request(self, call):
        return self.orders_rpc.cancel_help_request(
            call.params["help_request_id"], call.sent, _here(call)
        )
