"""The counter that keeps working when the village's link drops: an installable console (web app
manifest, service worker, both served here: no CDN) and the counter page it opens on.

- `/console/manifest.webmanifest`, `/console/sw.js` (static/sw.js, scope `/console/`): the
  worker keeps the console's static files, and the pages of the signed-in concierge's village
  only (the day, the counter, the catalogue, the animations), each as last loaded, for 24 hours;
  it forgets them at sign-out and when another village signs in.
- `/console/villages/<village>/comptoir`: the day's orders to hand over, the parcels waiting (each
  with the salted check of its pickup code, never the code), a form to receive a parcel, one to
  note an item asked for that the catalogue does not offer (a signal for the network), and the
  day's animations in the village (hosted or invited) with the names of the people registered
  (what the door needs, never their phones) and, for the host, the roll call. Its
  forms are ordinary forms (without JavaScript they post here and the page answers); offline,
  static/offline.js queues each action in IndexedDB with an idempotency key made on the device
  and the time it happened, and replays them here, in order, when the link returns: asked for
  JSON (`Accept: application/json`), this page answers each action's outcome in French.

Nothing durable is kept here: the services decide (bounds of `occurred_at`, the code checked
again, an order cancelled meanwhile) and make a replay idempotent by its key.
"""

from __future__ import annotations

import json
import secrets
import uuid

from werkzeug.wrappers import Response

from backbone import formats
from backbone.clock import paris_today
from backbone.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from backbone.messages import msg
from gateway import i18n
from gateway.console.animations import _attendance, _who
from gateway.console.framework import CONCIERGE, STATIC, filled, form_errors, page, public, redirect
from gateway.console.parcels import PLACE_LABELS, _parcel_path, _show_code_once
from services.events.schemas import CATEGORY_LABELS
from services.orders.schemas.parcels import SENDER_LABELS

V = "/console/villages/<village_id>"

MANIFEST = {
    "name": "Maillage — comptoir",
    "short_name": "Maillage",
    "description": "La console de la conciergerie, utilisable hors ligne au comptoir.",
    "lang": "fr",
    "start_url": "/console",
    "scope": "/console/",
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": "#1d4e89",
    "icons": [
        {"src": "/console/static/icon.svg", "sizes": "any", "type": "image/svg+xml"},
    ],
}

DONE = {
    "collect": "Commande remise.",
    "hand_over_parcel": "Colis remis.",
    "receive_parcel": "Colis enregistré.",
    "place_order": "Commande prise.",
    "register_member": "Habitant·e inscrit·e.",
    "record_attendance": "Présences enregistrées.",
    "ask_item": "Demande notée : le réseau en tiendra compte.",
}


def _json(body: dict, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _wants_json(request) -> bool:
    return "application/json" in (request.headers.get("Accept") or "")


class OfflinePages:
    @public("/console/manifest.webmanifest")
    def console_manifest(self, request):
        return Response(
            json.dumps(MANIFEST, ensure_ascii=False),
            mimetype="application/manifest+json",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @public("/console/sw.js")
    def console_service_worker(self, request):
        """Served from /console/ so that its scope is the console (a worker controls the pages
        under its own folder only); never cached by the browser, so a new version takes over."""
        body = (STATIC / "sw.js").read_bytes()
        return Response(body, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})

    @page(V + "/comptoir", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_counter_offline(self, ctx):
        """The counter, kept on the device for when the link drops."""
        village_id = ctx.params["village_id"]
        if ctx.request.method == "POST":
            return self._counter_action(ctx, village_id)
        return self._counter_page(ctx, village_id)

    def _counter_page(self, ctx, village_id, errors=None, status=200):
        errors, asked, asked_errors = errors or {}, {}, {}
        if errors and ctx.form.get("action") == "ask_item":  # beside its own form's fields only
            asked, asked_errors = ctx.form, errors
            errors = {k: v for k, v in errors.items() if k == "_"}
        salt = secrets.token_hex(16)
        counter = self.orders_rpc.counter_today(village_id, paris_today().isoformat())
        offline = self.orders_rpc.counter_offline(village_id, salt)
        animations = self.events_rpc.animations_of_day(village_id, paris_today().isoformat())
        catalogue = [
            item
            for item in self.orders_rpc.village_catalogue(village_id, True)
            if item.get("next_delivery_date")
        ]
        return ctx.render(
            "counter_offline.html",
            counter=counter,
            members=offline["members"],
            code_checks=offline["code_checks"],
            catalogue=catalogue,
            animations=_at_the_door(animations, village_id),
            iterations=offline["iterations"],
            salt=salt,
            senders=SENDER_LABELS,
            places=PLACE_LABELS,
            themes=CATEGORY_LABELS,
            asked=asked,
            asked_errors=asked_errors,
            done=DONE.get(ctx.args.get("fait", "")),
            errors=errors,
            key=lambda: str(uuid.uuid4()),  # one per form: a key per action
            status=status,
        )

    def _counter_action(self, ctx, village_id):
        action = ctx.form.get("action", "")
        form = ctx.form
        common = {
            "idempotency_key": form.get("idempotency_key") or None,
            "occurred_at": form.get("occurred_at") or None,
        }
        try:
            if action == "collect":
                answer = self.orders_rpc.collect_order(
                    form.get("order_id", ""),
                    filled({**common, "code": form.get("code") or None}),
                    ctx.here,
                )
                message = f"Commande de {answer.get('member_name') or 'l’habitant·e'} remise."
            elif action == "hand_over_parcel":
                answer = self.orders_rpc.hand_over_parcel(
                    form.get("parcel_id", ""),
                    filled({**common, "code": form.get("code", "").strip()}),
                    ctx.here,
                )
                message = f"Colis de {answer.get('member_name') or 'l’habitant·e'} remis."
            elif action == "place_order":
                answer = self.orders_rpc.place_order(village_id, self._order_from(ctx, common))
                message = (
                    f"Commande prise pour {answer.get('member_name') or 'l’habitant·e'} : "
                    f"{formats.money(answer['total_cents'])}, retrait le "
                    f"{formats.long_date(answer['delivery_date'])}."
                )
            elif action == "register_member":
                names = ("first_name", "last_name", "phone", "address")
                answer = self.members_rpc.register_member(
                    filled(
                        {
                            **common,
                            **{k: form.get(k, "").strip() for k in names},
                            "village_id": village_id,
                        }
                    )
                )
                message = f"{answer['display_name']} inscrit·e."
            elif action == "record_attendance":
                answer = self.events_rpc.take_attendance(
                    form.get("animation_id", ""), filled({**common, **_attendance(form)}), ctx.here
                )
                people = answer["people_reached"]
                message = (
                    f"Présences à « {answer['title']} » enregistrées : "
                    f"{people} personne{'s' if people > 1 else ''}."
                )
            elif action == "ask_item":
                fields = ("item", "theme", "member_id")
                answer = self.orders_rpc.ask_item(
                    village_id,
                    filled({**common, **{k: form.get(k, "").strip() for k in fields}}),
                )
                message = f"Demande notée : {answer['item']}."
            elif action == "receive_parcel":
                fields = ("member_id", "sender_kind", "sender_name", "place_kind", "place")
                answer = self.orders_rpc.receive_parcel(
                    village_id,
                    filled({**common, **{k: form.get(k, "").strip() for k in fields}}),
                )
                message = (
                    f"Colis reçu pour {answer.get('member_name') or 'l’habitant·e'} "
                    f"({answer['place']}) : code de retrait {answer['pickup_code']}."
                )
                if not _wants_json(ctx.request):
                    return _show_code_once(
                        redirect(_parcel_path(village_id, answer["id"])), village_id, answer
                    )
            else:
                raise InvalidInput({"action": [msg("validator_failed")]})
        except (InvalidInput, Conflict, NotFound) as exc:
            errors = form_errors(exc)
            if _wants_json(ctx.request):
                status = {Conflict: 409, NotFound: 404}.get(type(exc), 400)
                return _json({"ok": False, "message": _sentence(errors), "fields": errors}, status)
            return self._counter_page(ctx, village_id, errors, 400)
        except ServiceUnavailable as exc:
            if _wants_json(ctx.request):  # the device keeps the action and tries again
                text = i18n.message("service_unavailable", service=exc.service)[0]
                return _json({"ok": False, "retry": True, "message": text}, 503)
            raise
        if _wants_json(ctx.request):
            return _json({"ok": True, "message": message})
        return redirect(f"/console/villages/{village_id}/comptoir?fait={action}")

    def _order_from(self, ctx, common: dict) -> dict:
        """An order of one catalogue item, collected at the counter on the item's next delivery
        day: as the device saw it when taken offline (its day and total), else as now."""
        form = ctx.form
        item_id = form.get("item_id", "")
        day = form.get("delivery_date") or next(
            (
                item["next_delivery_date"]
                for item in self.orders_rpc.village_catalogue(ctx.params["village_id"], True)
                if item["item_id"] == item_id
            ),
            None,
        )
        quantity = form.get("quantity", "").strip()
        expected = form.get("expected_total_cents", "").strip()
        amount = int(quantity) if quantity.isdigit() else quantity
        return filled(
            {
                **common,
                "idempotency_key": common["idempotency_key"] or str(uuid.uuid4()),
                "member_id": form.get("member_id", "").strip(),
                "delivery_date": day,
                "fulfilment": "counter",
                "lines": [{"item_id": item_id, "quantity": amount}],
                "expected_total_cents": int(expected) if expected.isdigit() else None,
            }
        )


def _at_the_door(animations: list[dict], village_id: str) -> list[dict]:
    """The day's animations as the door needs them: who has a place, by name (another hub's
    registrations unnamed, and left out for an invited village), never a phone; the roll call
    for the host only (the events service refuses it to an invited village)."""
    shown = []
    for a in animations:
        host = a["village_id"] == village_id
        shown.append(
            {
                **{k: a[k] for k in ("id", "title", "place", "starts_at", "ends_at", "status")},
                "status_label": a["status_label"],
                "people_reached": a["people_reached"],
                "host": host,
                "registrations": [
                    {"id": r["id"], "name": _who(r, village_id), "present": r["present"]}
                    for r in a["registrations"]
                    if r["status"] == "registered" and (host or r["village_id"] == village_id)
                ],
            }
        )
    return shown


def _sentence(errors: dict) -> str:
    """One French sentence for the list of actions to settle: the fields' messages, else the
    form's."""
    specific = [text for name, text in errors.items() if name != "_"]
    return " ".join(specific) or errors.get("_", "")
