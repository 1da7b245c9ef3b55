"""Routes about villages (members service)."""

from werkzeug.wrappers import Response

from gateway.routing import COORDINATOR, STAFF, route
from services.members.schemas import (
    OpeningExceptionInput,
    OpeningExceptionOutput,
    OpeningHoursInput,
    OpeningHoursOutput,
    OpeningStatusOutput,
    StopInput,
    StopOutput,
    VillageInput,
    VillageOutput,
    VillageStatusInput,
    VillageUpdateInput,
)
from services.members.schemas.opening_hours import OpeningStatusQuery

_NO_CONTENT = 204


class VillageRoutes:
    @route(
        "GET",
        "/api/villages",
        summary="Les villages visibles (tous pour la coordination, le sien pour un·e concierge)",
        tag="villages",
        roles=STAFF,
        response=VillageOutput,
        many=True,
        paged=True,
    )
    def list_villages(self, call):
        return self.members_rpc.list_villages(call.village_ids, call.window)

    @route(
        "POST",
        "/api/villages",
        summary="Ouvrir un village dans le réseau",
        tag="villages",
        roles=COORDINATOR,
        body=VillageInput,
        response=VillageOutput,
        status=201,
        errors=(409,),
    )
    def open_village(self, call):
        """Creates the village (members service) and announces it as `village.opened`."""
        return self.members_rpc.open_village(call.body)

    @route(
        "GET",
        "/api/villages/<village_id>",
        summary="Un village",
        tag="villages",
        roles=STAFF,
        scope="path:village_id",
        response=VillageOutput,
        errors=(404,),
    )
    def get_village(self, call):
        return self.members_rpc.get_village(call.params["village_id"])

    # --- places: details, status, opening hours, truck stops ----------------------------------

    @route(
        "PATCH",
        "/api/villages/<village_id>",
        summary="Modifier un village (adresse, coordonnées, services…)",
        tag="villages",
        roles=COORDINATOR,
        scope="path:village_id",
        body=VillageUpdateInput,
        response=VillageOutput,
        errors=(404,),
    )
    def update_village(self, call):
        """Only the fields sent change; slug and kind stay as opened; status
        changes through `/status`."""
        return self.members_rpc.update_village(call.params["village_id"], call.sent)

    @route(
        "POST",
        "/api/villages/<village_id>/status",
        summary="Changer l'état d'un village",
        tag="villages",
        roles=COORDINATOR,
        scope="path:village_id",
        body=VillageStatusInput,
        response=VillageOutput,
        errors=(404, 409),
    )
    def change_village_status(self, call):
        """preparing → open ↔ paused → closed (closed is final); announced as
        `village.status_changed`. A transition from the wrong state is a 409 naming both states."""
        return self.members_rpc.change_village_status(call.params["village_id"], call.sent)

    @route(
        "GET",
        "/api/villages/<village_id>/opening-hours",
        summary="Horaires et permanences d'un village",
        tag="horaires",
        roles=STAFF,
        scope="path:village_id",
        response=OpeningHoursOutput,
        errors=(404,),
    )
    def get_opening_hours(self, call):
        """Weekly slots (Europe/Paris), exceptions (closures, special hours) and
        each truck stop's times."""
        return self.members_rpc.get_opening_hours(call.params["village_id"])

    @route(
        "PUT",
        "/api/villages/<village_id>/opening-hours",
        summary="Définir les horaires d'un village",
        tag="horaires",
        roles=STAFF,
        scope="path:village_id",
        body=OpeningHoursInput,
        response=OpeningHoursOutput,
        errors=(404,),
    )
    def set_opening_hours(self, call):
        """Replaces the weekly slots; replaces the exceptions too when `exceptions` is sent."""
        return self.members_rpc.set_opening_hours(call.params["village_id"], call.sent)

    @route(
        "POST",
        "/api/villages/<village_id>/opening-hours/exceptions",
        summary="Ajouter une fermeture ou des horaires exceptionnels",
        tag="horaires",
        roles=STAFF,
        scope="path:village_id",
        body=OpeningExceptionInput,
        response=OpeningExceptionOutput,
        status=201,
        errors=(404,),
    )
    def add_opening_exception(self, call):
        return self.members_rpc.add_opening_exception(call.params["village_id"], call.sent)

    @route(
        "DELETE",
        "/api/villages/<village_id>/opening-hours/exceptions/<exception_id>",
        summary="Retirer une exception d'horaires",
        tag="horaires",
        roles=STAFF,
        scope="path:village_id",
        status=_NO_CONTENT,
        errors=(404,),
    )
    def remove_opening_exception(self, call):
        self.members_rpc.remove_opening_exception(
            call.params["village_id"], call.params["exception_id"]
        )
        return Response(status=_NO_CONTENT)

    @route(
        "GET",
        "/api/villages/<village_id>/opening-status",
        summary="Ouvert maintenant ? Prochaine ouverture",
        tag="horaires",
        roles=STAFF,
        scope="path:village_id",
        response=OpeningStatusOutput,
        errors=(404,),
        query=OpeningStatusQuery,
    )
    def opening_status(self, call):
        """For the village and each stop of its truck: `open`, `until` (closing time),
        `next_opening`. `?at=2025-06-03T10:00:00+02:00` asks about another moment (default: now)."""
        return self.members_rpc.opening_status(call.params["village_id"], call.query_sent.get("at"))

    @route(
        "GET",
        "/api/villages/<village_id>/stops",
        summary="Arrêts du camion itinérant",
        tag="horaires",
        roles=STAFF,
        scope="path:village_id",
        response=StopOutput,
        many=True,
        errors=(404,),
    )
    def list_stops(self, call):
        return self.members_rpc.list_stops(call.params["village_id"])

    @route(
        "POST",
        "/api/villages/<village_id>/stops",
        summary="Ajouter un arrêt au camion itinérant",
        tag="horaires",
        roles=STAFF,
        scope="path:village_id",
        body=StopInput,
        response=StopOutput,
        status=201,
        errors=(404, 409),
    )
    def add_stop(self, call):
        """Only an itinerant village has stops (409 otherwise). Each stop
        has its own weekly times."""
        return self.members_rpc.add_stop(call.params["village_id"], call.sent)

    @route(
        "PUT",
        "/api/villages/<village_id>/stops/<stop_id>",
        summary="Modifier un arrêt et ses horaires",
        tag="horaires",
        roles=STAFF,
        scope="path:village_id",
        body=StopInput,
        response=StopOutput,
        errors=(404, 409),
    )
    def update_stop(self, call):
        return self.members_rpc.update_stop(
            call.params["village_id"], call.params["stop_id"], call.sent
        )

    @route(
        "DELETE",
        "/api/villages/<village_id>/stops/<stop_id>",
        summary="Retirer un arrêt",
        tag="horaires",
        roles=STAFF,
        scope="path:village_id",
        status=_NO_CONTENT,
        errors=(404,),
    )
    def remove_stop(self, call):
        self.members_rpc.remove_stop(call.params["village_id"], call.params["stop_id"])
        return Response(status=_NO_CONTENT)
