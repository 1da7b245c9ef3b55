"""The personal pages of inhabitants and volunteers, `/moi`: no password, a link.

A person types their e-mail or mobile number; the members service sends a single-use link (15
minutes) to that contact when it knows it, and the page says the same thing either way. The link's
page signs them in (a button: a mail scanner fetching the link does not use it up) with a session
of at most 30 days in the cookie `maillage_moi` (HttpOnly, SameSite=Lax, Secure under https, for
/moi only), ended by the person (« Me déconnecter ») or by their concierge (the member's page
« Accès personnel »). Every page asks the members service who the session is, on each request.

Forms carry a CSRF token derived from the session (the request form, before any session: a nonce
in a cookie and its signature, as the console's sign-in). What the person sees and does goes
through the services' RPC methods, with their member id from the session, never from the form.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid

from werkzeug.wrappers import Response

from backbone.clock import paris_today, utcnow
from backbone.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    TooManyAttempts,
)
from gateway import auth, i18n, web_security
from gateway.console.counter import _line_errors
from gateway.console.form_values import price_cents, whole_number
from gateway.console.framework import (
    CONCIERGE,
    error_page,
    filled,
    form_errors,
    page,
    public,
    redirect,
    templates,
)
from services.members.schemas.volunteers import DAY_LABELS
from services.orders.schemas.help_requests import HELP_STATUS_LABELS
from services.orders.schemas.orders import FULFILMENT_LABELS, STATUS_LABELS
from services.orders.schemas.parcels import STATUS_LABELS as PARCEL_STATUS_LABELS

log = logging.getLogger("maillage.gateway.personal")

COOKIE = "maillage_moi"
REQUEST_COOKIE = "maillage_moi_demande"  # the request form's nonce (no session yet)
SESSION_SECONDS = 30 * 24 * 3600
PICK_UP = ("counter", "locker", "truck_stop")


def _sign(purpose: str, value: str) -> str:
    return hmac.new(
        auth._secret().encode(), f"moi:{purpose}:{value}".encode(), hashlib.sha256
    ).hexdigest()


def _render(template: str, status: int = 200, **values) -> Response:
    html = templates.get_template(template).render(**values)
    return Response(
        html,
        status=status,
        mimetype="text/html",
        # the pages name the person: no cache keeps them; the link's token gives no referrer
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _set_cookie(response: Response, name: str, value: str | None, max_age: int, samesite: str):
    if value is None:
        response.delete_cookie(
            name, path="/moi", httponly=True, samesite=samesite, secure=web_security.https()
        )
    else:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/moi",
            httponly=True,
            samesite=samesite,
            secure=web_security.https(),
        )
    return response


class Me:
    """What a personal page's handler gets: the request, the person (members'
    `personal_session`), their session token and the forms' CSRF token."""

    def __init__(self, request, person: dict, token: str):
        self.request, self.person, self.token = request, person, token
        self.csrf = _sign("csrf", token)

    @property
    def form(self):
        return self.request.form

    def render(self, template: str, status: int = 200, **values) -> Response:
        return _render(template, status, me=self.person, csrf=self.csrf, **values)


def _unavailable(exc: ServiceUnavailable) -> Response:
    return error_page(
        503, "Service indisponible", i18n.message("service_unavailable", service=exc.service)[0]
    )


def _as_person(service, request, handler, params) -> Response:
    """`handler(service, me, **params)` for the person of the session cookie: without a live
    session, back to /moi (to ask for a link); on POST, the CSRF token of the session."""
    token = request.cookies.get(COOKIE)
    try:
        person = service.members_rpc.personal_session({"token": token}) if token else None
    except (AuthenticationFailed, InvalidInput):
        person = None
    except ServiceUnavailable as exc:
        return _unavailable(exc)
    if person is None:
        return _set_cookie(redirect("/moi"), COOKIE, None, 0, "Lax")
    me = Me(request, person, token)
    if request.method == "POST" and not hmac.compare_digest(request.form.get("csrf", ""), me.csrf):
        return error_page(
            403,
            "Formulaire expiré",
            "Ce formulaire n'est plus valable : rechargez la page et recommencez.",
        )
    try:
        return handler(service, me, **params)
    except ServiceUnavailable as exc:
        return _unavailable(exc)


def personal(path: str, *, methods: str = "GET"):
    """A page of a signed-in person (`_as_person`)."""

    def decorate(handler):
        def entry(self, request, **params):
            return _as_person(self, request, handler, params)

        entry.__name__ = handler.__name__
        entry.__doc__ = handler.__doc__
        return public(path, methods=methods)(entry)

    return decorate


def _request_form(nonce: str, contact="", error=None, sent=False, status=200) -> Response:
    response = _render(
        "moi/request.html",
        status,
        contact=contact,
        error=error,
        sent=sent,
        csrf=_sign("request", nonce),
        me=None,
    )
    return _set_cookie(response, REQUEST_COOKIE, nonce, 3600, "Strict")


MAX_SLOTS = 30


def _empty_rows(rows: list[dict]) -> int:
    return sum(1 for r in rows if not any(r.values()))


def _slot_errors(exc: InvalidInput, rows: list[dict], slots: list[dict]) -> dict:
    """The members service's errors of `availability[n].field`, beside the row typed (empty rows
    were not sent: n counts the others)."""
    errors = {"_": form_errors(exc)["_"]}
    sent = [i for i, r in enumerate(rows) if any(r.values())]
    french = exc.errors_fr.get("availability") if isinstance(exc.errors_fr, dict) else None
    if isinstance(french, dict):
        for index, problem in french.items():
            if str(index).isdigit() and int(index) < len(sent) and isinstance(problem, dict):
                for field, messages in problem.items():
                    text = messages if isinstance(messages, str) else " ".join(messages)
                    errors[f"{field}-{sent[int(index)]}"] = text
    elif french:
        errors["_"] = french if isinstance(french, str) else " ".join(map(str, french))
    return errors


def _my_registration(animation: dict, member_id: str) -> dict | None:
    return next(
        (
            r
            for r in animation.get("registrations") or []
            if r.get("member_id") == member_id and r["status"] in ("registered", "waiting")
        ),
        None,
    )


class PersonalPages:
    # --- signing in by link --------------------------------------------------------------------

    @public("/moi", methods="GET,POST")
    def moi(self, request):
        """Signed in: the person's page. Otherwise the form that asks for a link."""
        token = request.cookies.get(COOKIE)
        if request.method == "GET" and token:
            return _as_person(self, request, PersonalPages._home, {})
        nonce = request.cookies.get(REQUEST_COOKIE, "")
        if request.method == "GET":
            return _request_form(nonce or secrets.token_urlsafe(24))
        contact = (request.form.get("contact") or "").strip()
        if not nonce or not hmac.compare_digest(
            request.form.get("csrf", ""), _sign("request", nonce)
        ):
            text = "Ce formulaire n'est plus valable : recommencez."
            return _request_form(secrets.token_urlsafe(24), contact, text, status=400)
        if not contact:
            text = "Saisissez votre adresse e-mail ou votre numéro de portable."
            return _request_form(nonce, contact, text, status=400)
        try:
            self.members_rpc.request_personal_link(
                {"contact": contact, "client_address": auth.client_address(request)}
            )
        except TooManyAttempts as exc:
            wait, wait_en = i18n.duration(exc.retry_after)
            text = i18n.message("too_many_links", wait=wait, wait_en=wait_en)[0]
            response = _request_form(nonce, contact, text, status=429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except InvalidInput:
            text = "Saisissez une adresse e-mail ou un numéro de portable (254 caractères au plus)."
            return _request_form(nonce, contact, text, status=400)
        except ServiceUnavailable as exc:
            return _unavailable(exc)
        return _request_form(nonce, contact, sent=True)

    @public("/moi/lien", methods="GET,POST")
    def moi_link(self, request):
        """The link of the message. Opening it shows a button; the button signs in (the token is
        the proof, and is used up)."""
        token = request.values.get("jeton") or ""
        if request.method == "GET":
            return _render("moi/link.html", jeton=token, me=None, error=None)
        try:
            opened = self.members_rpc.open_personal_link({"token": token})
        except (AuthenticationFailed, InvalidInput):
            text = i18n.message("personal_link_invalid")[0]
            return _render("moi/link.html", 400, jeton="", me=None, error=text)
        except ServiceUnavailable as exc:
            return _unavailable(exc)
        return _set_cookie(
            redirect("/moi"), COOKIE, opened["session_token"], SESSION_SECONDS, "Lax"
        )

    @personal("/moi/deconnexion", methods="POST")
    def moi_sign_out(self, me):
        """Ends this session at the members service: the cookie, even copied, opens nothing."""
        self.members_rpc.end_personal_session({"token": me.token})
        response = _render("moi/signed_out.html", me=None)
        return _set_cookie(response, COOKIE, None, 0, "Lax")

    # --- the person's page ---------------------------------------------------------------------

    def _home(self, me):
        """Orders and parcels of the person; a volunteer's coups de main to answer."""
        person = me.person
        orders = self.orders_rpc.list_orders(
            person["village_id"], {"member_id": person["member_id"]}
        )
        # their own codes: the one answer that carries them besides the receipt's
        parcels = self.orders_rpc.own_parcels(person["village_id"], person["member_id"])
        to_answer = []
        if person["volunteer_id"]:
            to_answer = [
                h
                for h in self.orders_rpc.volunteer_help_requests(person["member_id"])
                if h["status"] == "assigned"
            ]
        return me.render(
            "moi/home.html",
            orders=sorted(orders, key=lambda o: o["placed_at"], reverse=True),
            parcels=sorted(parcels, key=lambda p: p["received_at"], reverse=True),
            to_answer=to_answer,
            placed=me.request.args.get("commande"),
            status_labels=STATUS_LABELS,
            parcel_labels=PARCEL_STATUS_LABELS,
            fulfilments=FULFILMENT_LABELS,
        )

    # --- ordering for pick-up ------------------------------------------------------------------

    @personal("/moi/commander", methods="GET,POST")
    def moi_order(self, me):
        """The village's catalogue, ordered for the counter, the locker or the truck's stop (home
        delivery when the person's profile allows it): the counter's rules, and the form's
        idempotency key (sent twice, one order)."""
        person = me.person
        village_id = person["village_id"]
        catalogue = self.orders_rpc.village_catalogue(village_id, True)
        stops = self.members_rpc.list_stops(village_id)
        fulfilments = {
            code: label
            for code, label in FULFILMENT_LABELS.items()
            if code in PICK_UP or person["home_delivery"]
        }
        if not stops:
            fulfilments.pop("truck_stop", None)
        errors, values = {}, {}
        key = me.form.get("idempotency_key") or str(uuid.uuid4())
        if me.request.method == "POST":
            lines = []
            for item in catalogue:
                raw = (me.form.get(f"qty-{item['item_id']}") or "").strip()
                if raw and raw != "0":
                    lines.append({"item_id": item["item_id"], "quantity": whole_number(raw)})
            values = {k: me.form.get(k, "") for k in ("fulfilment", "truck_stop", "note")}
            values["delivery_date"] = me.form.get("delivery_date", "")
            wanted = values["delivery_date"].strip()
            if not wanted:  # left empty: the first day every chosen item can come
                chosen = {line["item_id"] for line in lines}
                dates = [
                    i["next_delivery_date"]
                    for i in catalogue
                    if i["item_id"] in chosen and i["next_delivery_date"]
                ]
                wanted = max(dates) if dates else paris_today().isoformat()
            data = filled(
                {
                    "idempotency_key": key,
                    "member_id": person["member_id"],
                    "delivery_date": wanted,
                    "fulfilment": values["fulfilment"],
                    "delivery_address": person.get("address") or "",
                    "truck_stop": values["truck_stop"].strip(),
                    "note": values["note"].strip(),
                }
            )
            data["lines"] = lines
            values["lines"] = {line["item_id"]: line["quantity"] for line in lines}
            if values["fulfilment"] and values["fulfilment"] not in fulfilments:
                errors = {"fulfilment": "Ce mode de remise ne vous est pas proposé."}
                errors["_"] = errors["fulfilment"]
            elif not lines:
                errors = {"lines": "Choisissez au moins un article (une quantité)."}
                errors["_"] = errors["lines"]
            else:
                try:
                    order = self.orders_rpc.place_order(village_id, data)
                    return redirect(f"/moi?commande={order['id']}")
                except (InvalidInput, Conflict) as exc:
                    errors = form_errors(exc)
                    if isinstance(exc, InvalidInput) and isinstance(exc.errors.get("lines"), dict):
                        errors.update(_line_errors(exc.errors_fr["lines"], lines))
        return me.render(
            "moi/order.html",
            400 if errors else 200,
            catalogue=catalogue,
            stops=stops,
            fulfilments=fulfilments,
            errors=errors,
            values=values,
            idempotency_key=key,
        )

    # --- a volunteer's coups de main -----------------------------------------------------------

    @personal("/moi/coups-de-main", methods="GET,POST")
    def moi_help(self, me):
        """The coups de main proposed to the volunteer: accept or decline (the concierge's page of
        the request shows it at once); those to come; their time-bank hours."""
        person = me.person
        if not person["volunteer_id"]:
            return me.render("moi/not_volunteer.html", 404)
        error = None
        if me.request.method == "POST":
            answer = me.form.get("answer")
            help_request_id = me.form.get("help_request_id") or ""
            try:
                self.orders_rpc.answer_help_request(
                    help_request_id, person["member_id"], {"answer": answer}
                )
                return redirect(f"/moi/coups-de-main?reponse={answer}")
            except (InvalidInput, Conflict, NotFound) as exc:
                error = form_errors(exc)["_"]
        requests_ = self.orders_rpc.volunteer_help_requests(person["member_id"])
        # their home village: what sees them whatever their choice of being seen by the network
        hours = self.members_rpc.volunteer_hours(person["volunteer_id"], [person["village_id"]])
        return me.render(
            "moi/help.html",
            400 if error else 200,
            to_answer=[h for h in requests_ if h["status"] == "assigned"],
            others=[h for h in requests_ if h["status"] != "assigned"],
            hours=hours,
            answered=me.request.args.get("reponse"),
            error=error,
            labels=HELP_STATUS_LABELS,
            skills=self._skill_labels(),
        )

    # --- animations ------------------------------------------------------------------------------

    @personal("/moi/animations", methods="GET,POST")
    def moi_animations(self, me):
        """The village's animations to come: register (a place, or the waiting list), or leave
        after a confirmation (coming back puts one at the end of the queue)."""
        person = me.person
        village_id, member_id = person["village_id"], person["member_id"]
        error, confirming, done = None, None, me.request.args.get("fait")
        if me.request.method == "POST":
            action = me.form.get("action")
            animation_id = me.form.get("animation_id") or ""
            try:
                if action == "register":
                    self.events_rpc.register(animation_id, {"member_id": member_id}, [village_id])
                    return redirect("/moi/animations?fait=inscription")
                if action == "leave" and me.form.get("confirm") == "1":
                    mine = _my_registration(
                        self.events_rpc.get_animation(animation_id, [village_id]), member_id
                    )
                    if mine is not None:
                        self.events_rpc.cancel_registration(animation_id, mine["id"], [village_id])
                    return redirect("/moi/animations?fait=desinscription")
                if action == "leave":
                    confirming = animation_id
            except (InvalidInput, Conflict, NotFound) as exc:
                error = form_errors(exc)["_"]
        animations = []
        for animation in self.events_rpc.list_animations(village_id, False):
            if animation["status"] != "scheduled":
                continue
            mine = _my_registration(animation, member_id)
            # only the person's own registration leaves this page: never the others'
            animations.append(
                {
                    **{k: animation[k] for k in ("id", "title", "kind_label", "place")},
                    **{k: animation[k] for k in ("starts_at", "capacity", "registered")},
                    "mine": mine and {"status": mine["status"], "label": mine["status_label"]},
                }
            )
        return me.render(
            "moi/animations.html",
            400 if error else 200,
            animations=animations,
            error=error,
            confirming=confirming,
            done=done,
        )

    # --- suggestions -----------------------------------------------------------------------------

    @personal("/moi/suggestions", methods="GET,POST")
    def moi_suggestions(self, me):
        """Propose a suggestion to the hub, or support one already made, in the village or in a
        neighbouring one (its grappe's: the support counts in the network's signals under the
        inhabitant's own village)."""
        person = me.person
        village_id, member_id = person["village_id"], person["member_id"]
        errors, values, done = {}, {}, me.request.args.get("fait")
        categories = self.events_rpc.suggestion_categories()
        if me.request.method == "POST":
            try:
                if me.form.get("action") == "support":
                    self.events_rpc.support_suggestion(
                        me.form.get("suggestion_id") or "", {"member_id": member_id}, [village_id]
                    )
                    return redirect("/moi/suggestions?fait=soutien")
                values = {k: me.form.get(k, "") for k in ("category", "text")}
                self.events_rpc.create_suggestion(
                    village_id,
                    filled(
                        {
                            "category": values["category"],
                            "text": values["text"].strip(),
                            "member_id": member_id,
                        }
                    ),
                )
                return redirect("/moi/suggestions?fait=proposition")
            except (InvalidInput, Conflict, NotFound) as exc:
                errors = form_errors(exc)
        suggestions = [
            s
            for s in self.events_rpc.list_suggestions(village_id, {})
            if s["status"] not in ("done", "declined")
        ]
        neighbours = self.events_rpc.neighbour_suggestions(village_id)
        names = {v["id"]: v["name"] for v in self.members_rpc.village_names(None)}
        return me.render(
            "moi/suggestions.html",
            400 if errors else 200,
            suggestions=suggestions,
            neighbours=neighbours,
            village_names=names,
            categories=categories,
            errors=errors,
            values=values,
            done=done,
        )

    # --- campaigns: a pledge is a promise (the payment stays outside) ----------------------------

    def _campaigns_for(self, village_id: str) -> list[dict]:
        """The running campaigns of the person's village and of the whole network, without who
        pledged (other people's names)."""
        return [
            {k: v for k, v in c.items() if k != "pledges"}
            for c in self.partners_rpc.list_campaigns(None)
            if c["status"] == "running" and c["village_id"] in (None, village_id)
        ]

    @personal("/moi/financements", methods="GET,POST")
    def moi_pledge(self, me):
        """Promise an amount to a campaign, confirmed on a second step."""
        person = me.person
        campaigns = self._campaigns_for(person["village_id"])
        errors, values, confirming = {}, {}, None
        if me.request.method == "POST":
            campaign_id = me.form.get("campaign_id") or ""
            values = {"campaign_id": campaign_id, "amount": me.form.get("amount", "").strip()}
            try:  # the same reading of euros as the staff's forms; zero is no pledge
                cents = price_cents(values["amount"])
            except ValueError:
                cents = None
            campaign = next((c for c in campaigns if c["id"] == campaign_id), None)
            if campaign is None:
                errors = {"_": "Cette campagne n'est plus ouverte."}
            elif cents is None:
                errors = {"amount": "Indiquez un montant en euros, par exemple 20 ou 12,50."}
                errors["_"] = errors["amount"]
            elif me.form.get("confirm") != "1":
                confirming = {"campaign": campaign, "cents": cents}
            else:
                try:
                    self.partners_rpc.pledge(
                        campaign_id, {"amount_cents": cents, "member_id": person["member_id"]}
                    )
                    return redirect("/moi/financements?fait=1")
                except (InvalidInput, Conflict, NotFound) as exc:
                    errors = form_errors(exc)
                    if "amount_cents" in errors:
                        errors["amount"] = errors.pop("amount_cents")
        return me.render(
            "moi/pledge.html",
            400 if errors else 200,
            campaigns=campaigns,
            errors=errors,
            values=values,
            confirming=confirming,
            done=me.request.args.get("fait"),
        )

    @personal("/moi/disponibilites", methods="GET,POST")
    def moi_availability(self, me):
        """The volunteer's weekly availability: the slots kept, changed or added (a row left
        empty is dropped); what was typed stays with its error beside it."""
        person = me.person
        if not person["volunteer_id"]:
            return me.render("moi/not_volunteer.html", 404)
        here = [person["village_id"]]
        errors, saved = {}, me.request.args.get("fait")
        if me.request.method == "POST":
            count = me.form.get("rows", "")
            count = min(int(count), MAX_SLOTS) if count.isdigit() and len(count) < 4 else 0
            rows = [
                {k: (me.form.get(f"{k}-{i}") or "").strip() for k in ("day", "start", "end")}
                for i in range(count)
            ]
            slots = [r for r in rows if any(r.values())]
            try:
                self.members_rpc.update_volunteer(
                    person["volunteer_id"], {"availability": [filled(r) for r in slots]}, here
                )
                return redirect("/moi/disponibilites?fait=1")
            except InvalidInput as exc:
                errors = _slot_errors(exc, rows, slots)
        else:
            slots = self.members_rpc.get_volunteer(person["volunteer_id"], here)["availability"]
            rows = [{k: s[k] for k in ("day", "start", "end")} for s in slots]
        rows = rows + [{"day": "", "start": "", "end": ""}] * max(0, 2 - _empty_rows(rows))
        return me.render(
            "moi/availability.html",
            400 if errors else 200,
            rows=rows,
            days=DAY_LABELS,
            errors=errors,
            saved=saved,
        )

    # --- the person's data ---------------------------------------------------------------------

    @personal("/moi/effacement", methods="GET,POST")
    def moi_erasure(self, me):
        """Ask for one's data to be erased: confirmed here, then by the concierge, who erases."""
        asked = me.person.get("erasure_requested")
        if me.request.method == "POST" and me.form.get("confirm") == "1":
            self.members_rpc.request_personal_erasure({"token": me.token})
            asked = True
        return me.render("moi/erasure.html", asked=asked)

    @personal("/moi/mes-donnees")
    def moi_data(self, me):
        """Everything the network holds about the person, as the concierge's RGPD export."""
        person = me.person
        member_id = person["member_id"]
        body = {
            "exported_at": utcnow().isoformat(),
            "member": self.members_rpc.export_member(person["village_id"], member_id),
            "orders": self.orders_rpc.member_data(member_id),
            "events": self.events_rpc.member_data(member_id),
            "partners": self.partners_rpc.member_data(member_id),
        }
        return Response(
            json.dumps(body, ensure_ascii=False, indent=2),
            mimetype="application/json",
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": 'attachment; filename="mes-donnees-maillage.json"',
            },
        )

    # --- the concierge ends a person's sessions ------------------------------------------------

    @page(
        "/console/villages/<village_id>/habitants/<member_id>/acces",
        methods="GET,POST",
        roles=CONCIERGE,  # names a person: never the coordinator's
        village_scoped=True,
    )
    def page_member_access(self, ctx):
        """The person's open sessions of /moi, and ending them all (a lost phone), confirmed; the
        erasure the person asked for, confirmed by the concierge."""
        village_id, member_id = ctx.params["village_id"], ctx.params["member_id"]
        ended, erased, action = None, None, ctx.form.get("action") or "end"
        posted = ctx.request.method == "POST"
        if posted and ctx.form.get("confirm") == "1":
            if action == "erase":
                erased = self.members_rpc.erase_member(village_id, member_id)
            else:
                ended = self.members_rpc.end_member_personal_sessions(village_id, member_id)
                ended = ended["ended"]
        if erased is not None:
            return ctx.render("member_access.html", member=None, erased=erased, sessions=[])
        member = self.members_rpc.get_member(village_id, member_id)
        access = self.members_rpc.member_personal_sessions(village_id, member_id)
        return ctx.render(
            "member_access.html",
            member=member,
            sessions=access["sessions"],
            erasure_requested_at=access["erasure_requested_at"],
            ended=ended,
            erased=None,
            confirming=action if posted and ended is None else None,
        )
