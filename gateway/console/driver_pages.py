"""The driver's page: a round followed stop by stop on a phone (390 px wide), each stop closed
« Fait » or « Manqué » with a note; the counters' « Aujourd'hui » pages see it at once
(`round.stop_completed`, the live feed).

Drivers are volunteers or a logistics partner's staff, without a console account: the coordinator's
round page gives the driver's link, `/chauffeur/<round>/<signature>` (an HMAC of the round's id with
the gateway's secret). The link is the credential, for that round only, from the day before it to
the day after; it shows where to go (village, address of a home delivery, supplier) and what to
carry, never who lives there. A home delivery without coordinates of its own is placed at the
village's centre, and the page says so."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

from werkzeug.wrappers import Response

from backbone.clock import paris_today
from backbone.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from gateway import auth
from gateway.console.framework import error_page, form_errors, public, templates

D = "/chauffeur"
USABLE_DAYS = 1  # the link works from the day before the round to the day after


def driver_signature(round_id: str) -> str:
    return hmac.new(
        auth._secret().encode(), f"chauffeur:{round_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def driver_link(round_id: str) -> str:
    return f"{D}/{round_id}/{driver_signature(round_id)}"


def _render(template: str, status: int = 200, **values) -> Response:
    return Response(
        templates.get_template(template).render(**values),
        status=status,
        mimetype="text/html",
        # the link is the credential: no cache keeps the page, no referrer carries the link
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _refused() -> Response:
    return error_page(
        404,
        "Lien inconnu",
        "Ce lien de tournée n'est pas (ou plus) valable : demandez-le à la coordination.",
    )


def _trips(round_: dict) -> list[dict]:
    trips: dict[int, list] = {}
    for stop in round_["stops"]:
        trips.setdefault(stop.get("trip") or 1, []).append(stop)
    return [
        {
            "trip": n,
            "stops": stops,
            "load": sum(s["items_count"] for s in stops if s["kind"] != "hub_drop"),
        }
        for n, stops in sorted(trips.items())
    ]


class DriverPages:
    @public(D + "/<round_id>/<signature>", methods="GET,POST")
    def page_driver(self, request, round_id, signature):
        if not hmac.compare_digest(signature, driver_signature(round_id)):
            return _refused()
        try:
            round_ = self.orders_rpc.get_round(round_id, None)
        except NotFound:
            return _refused()
        except ServiceUnavailable:
            return error_page(503, "Service indisponible", "Réessayez dans un instant.")
        day = date.fromisoformat(round_["date"])
        if abs((day - paris_today()).days) > USABLE_DAYS:
            return _refused()
        errors, error_for, note = {}, None, ""
        if request.method == "POST":
            stop_id = request.form.get("stop_id", "")
            note = (request.form.get("note") or "").strip()
            try:
                self.orders_rpc.record_round_stop(
                    round_id,
                    stop_id,
                    {"outcome": request.form.get("outcome", ""), "note": note or None},
                    None,
                )
                response = Response(status=303)
                response.headers["Location"] = f"{driver_link(round_id)}#arret-{stop_id}"
                return response
            except (InvalidInput, Conflict, NotFound) as exc:
                errors, error_for = form_errors(exc), stop_id
            round_ = self.orders_rpc.get_round(round_id, None)
        names = {v["id"]: v["name"] for v in self.members_rpc.village_names(round_["village_ids"])}
        for stop in round_["stops"]:
            stop["display_name"] = None  # the driver needs where, not who
        left = [s for s in round_["stops"] if s["status"] == "pending"]
        return _render(
            "driver.html",
            round=round_,
            trips=_trips(round_),
            names=names,
            left=len(left),
            next_stop=left[0]["id"] if left else None,
            errors=errors,
            error_for=error_for,
            note=note,
            action=driver_link(round_id),
            day_after=day + timedelta(days=USABLE_DAYS),
            status=400 if errors else 200,
        )
