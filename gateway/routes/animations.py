"""Routes about animations (events service): a village's calendar, registrations and the waiting
list, volunteer roles, attendance, cancellation, guests to call and guests' erasure, the public
iCalendar feeds. A concierge acts on their own village (`scope="path:village_id"`), the
coordinator on all; the path's village is passed on as the only village the service may touch, so
an animation neither hosted by nor open to it is "not found". An invited village sees the
animation and registers its own inhabitants; only the host village changes it (else 409)."""

from werkzeug.wrappers import Response

from gateway.ical import calendar
from gateway.queries import AnimationListQuery
from gateway.routing import STAFF, route
from services.events.schemas import (
    AnimationInput,
    AnimationOutput,
    AttendanceInput,
    CancelInput,
    CapacityInput,
    GuestEraseOutput,
    GuestToCallOutput,
    KindOutput,
    RegistrationInput,
    RoleFillInput,
)

_ANIMATION = "/api/villages/<village_id>/animations/<animation_id>"


def _here(call) -> list[str]:
    return [call.params["village_id"]]


class AnimationRoutes:
    @route(
        "GET",
        "/api/animation-kinds",
        tag="animations",
        roles=STAFF,
        response=KindOutput,
        many=True,
        summary="Les sortes d'animations (atelier, café, marché…)",
    )
    def animation_kinds(self, call):
        return self.events_rpc.animation_kinds()

    @route(
        "GET",
        "/api/villages/<village_id>/animations",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        response=AnimationOutput,
        many=True,
        paged=True,
        summary="Le calendrier des animations du village (?upcoming=1 : à venir seulement)",
        query=AnimationListQuery,
    )
    def list_animations(self, call):
        return self.events_rpc.list_animations(
            call.params["village_id"], not call.query["upcoming"], call.window
        )

    @route(
        "POST",
        "/api/villages/<village_id>/animations",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        body=AnimationInput,
        response=AnimationOutput,
        status=201,
        errors=(404,),
        summary="Programmer une animation (co-organisateurs, capacité, rôles bénévoles)",
    )
    def create_animation(self, call):
        """End after start, aware datetimes, capacity ≥ 1, co-organisers among the known partners
        whose partnership lasts (an unknown or ended one is named). Announces
        `animation.scheduled`."""
        return self.events_rpc.create_animation(call.params["village_id"], call.sent)

    @route(
        "GET",
        _ANIMATION,
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        response=AnimationOutput,
        errors=(404,),
        summary="Une animation, ses inscriptions et sa liste d'attente",
    )
    def get_animation(self, call):
        return self.events_rpc.get_animation(call.params["animation_id"], _here(call))

    @route(
        "POST",
        _ANIMATION + "/registrations",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        body=RegistrationInput,
        response=AnimationOutput,
        status=201,
        errors=(404, 409),
        summary="Inscrire un·e habitant·e ou un·e invité·e (liste d'attente si c'est complet)",
    )
    def register(self, call):
        """A member (`member_id`) or a guest (`guest_name`, `guest_phone`); once per person (409).
        The answer's `registration` says whether it is a place or the waiting list."""
        return self.events_rpc.register(call.params["animation_id"], call.sent, _here(call))

    @route(
        "DELETE",
        _ANIMATION + "/registrations/<registration_id>",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        response=AnimationOutput,
        errors=(404, 409),
        summary="Désinscrire : la place va à la première personne en attente",
    )
    def cancel_registration(self, call):
        return self.events_rpc.cancel_registration(
            call.params["animation_id"], call.params["registration_id"], _here(call)
        )

    @route(
        "PUT",
        _ANIMATION + "/capacity",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        body=CapacityInput,
        response=AnimationOutput,
        errors=(404, 409),
        summary="Changer la capacité (jamais sous le nombre d'inscrits)",
    )
    def change_capacity(self, call):
        return self.events_rpc.change_capacity(call.params["animation_id"], call.sent, _here(call))

    @route(
        "POST",
        _ANIMATION + "/volunteers",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        body=RoleFillInput,
        response=AnimationOutput,
        errors=(404, 409),
        summary="Confier un rôle à un·e bénévole",
    )
    def fill_role(self, call):
        return self.events_rpc.fill_role(call.params["animation_id"], call.sent, _here(call))

    @route(
        "POST",
        _ANIMATION + "/attendance",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        body=AttendanceInput,
        response=AnimationOutput,
        errors=(404, 409),
        summary="Faire l'appel le jour même : les heures des bénévoles sont créditées",
    )
    def take_attendance(self, call):
        """Once (a second time is a 409): publishes `animation.attended`, which credits each
        volunteer's minutes in the time bank."""
        return self.events_rpc.take_attendance(call.params["animation_id"], call.sent, _here(call))

    @route(
        "POST",
        _ANIMATION + "/cancel",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        body=CancelInput,
        response=AnimationOutput,
        errors=(404, 409),
        summary="Annuler l'animation (les inscrits sont annoncés pour être prévenus)",
    )
    def cancel_animation(self, call):
        """By the host village. Members registered or waiting are told by the members service (see
        `/api/villages/<village_id>/notices`); the answer's `guests_to_call` lists the guests
        registered from this hub, with their phone, to call."""
        return self.events_rpc.cancel_animation(call.params["animation_id"], call.sent, _here(call))

    @route(
        "GET",
        _ANIMATION + "/guests-to-call",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        response=GuestToCallOutput,
        many=True,
        errors=(404,),
        summary="Les invité·es à appeler après une annulation (nom et téléphone)",
    )
    def guests_to_call(self, call):
        """The guests of a cancelled animation registered from this village's hub (empty while it is
        not cancelled)."""
        return self.events_rpc.guests_to_call(call.params["animation_id"], _here(call))

    @route(
        "DELETE",
        _ANIMATION + "/registrations/<registration_id>/guest",
        tag="animations",
        roles=STAFF,
        scope="path:village_id",
        response=GuestEraseOutput,
        errors=(404, 409),
        summary="Effacer le nom et le téléphone d'un·e invité·e, à "
        "sa demande (l'inscription reste comptée)",
    )
    def erase_guest(self, call):
        """By the hub that registered the guest (or the host). Twice is a 409. Guests' data is also
        erased automatically some days after the animation (MAILLAGE_GUEST_RETENTION_DAYS, 30)."""
        return self.events_rpc.erase_guest(
            call.params["animation_id"], call.params["registration_id"], _here(call)
        )

    @route(
        "GET",
        "/api/villages/<village_id>/calendar.ics",
        tag="animations",
        errors=(404,),
        summary="Le calendrier public des animations du village (iCalendar, à ajouter à un agenda)",
    )
    def village_calendar(self, call):
        """Public on purpose: titles, places and times only, no registrations
        nor any personal data."""
        feed = self.events_rpc.public_calendar(call.params["village_id"])
        return Response(
            calendar(feed),
            mimetype="text/calendar",
            headers={"Content-Disposition": 'inline; filename="animations.ics"'},
        )

    @route(
        "GET",
        "/api/calendar.ics",
        tag="animations",
        summary="Le calendrier public des animations de tout le réseau (iCalendar)",
    )
    def network_calendar(self, call):
        """Public on purpose, like a village's: titles, places, times and
        the villages' names only."""
        feed = self.events_rpc.public_network_calendar()
        return Response(
            calendar(feed),
            mimetype="text/calendar",
            headers={"Content-Disposition": 'inline; filename="animations-reseau.ics"'},
        )
