"""The public pages, no sign-in: the network's villages (`/villages`) and one page per village
(`/village/<slug>`) with its hours ("open now / next opening"), its truck's stops, its upcoming
animations (and their iCalendar feed), its catalogue at local prices and how to reach the hub.

Plain HTML (no script: a phone from 2012 or a screen reader gets the same page), well under 50 KB,
and nothing about people: each service answers its public view over RPC (members: the village,
hours and stops; orders: the catalogue; events: the public calendar), the page only lays them out.
The village's contact is the hub's own phone and e-mail, shown only when the network set them.
"""

from __future__ import annotations

import time
from datetime import date, datetime

import eventlet
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from backbone import config
from backbone.broker import BROKER_ONLY_ERRORS, RETRY_AFTER_SECONDS
from backbone.clock import PARIS, utcnow
from backbone.errors import NotFound, ServiceUnavailable
from gateway import access_log
from gateway.console.framework import french_date, public, templates
from services.members.opening_hours import DAYS
from services.members.schemas.people import display_phone
from services.members.schemas.villages import VILLAGE_SERVICES

CACHE = "public, max-age=60"  # "open now" may change within the minute, not within the second
UPCOMING_ANIMATIONS = 12  # a page stays short; the calendar feed has them all

DAY_LABELS = dict(
    zip(DAYS, ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"))
)
KIND_LABELS = {
    "fixed": "conciergerie",
    "itinerant": "camion multiservice",
    "locker": "casiers",
}
LIST_NOTES = {"preparing": "Ouvre bientôt.", "paused": "Fermée pour le moment."}
STATUS_NOTES = {
    "preparing": "Cette conciergerie ouvre bientôt : les horaires ci-dessous sont ceux prévus.",
    "paused": "Cette conciergerie est fermée pour le moment.",
    "closed": "Cette conciergerie a fermé.",
}
UNIT_LABELS = {
    "piece": "pièce",
    "kg": "kg",
    "g": "g",
    "litre": "litre",
    "dozen": "douzaine",
    "bunch": "botte",
    "jar": "pot",
    "box": "boîte",
    "basket": "panier",
    "hour": "heure",
    "session": "séance",
    "service": "prestation",
}
UNAVAILABLE = (ServiceUnavailable, *BROKER_ONLY_ERRORS)


# --- French wording -------------------------------------------------------------------------------


def clock(hhmm: str) -> str:
    """'09:00' -> '9 h', '14:30' -> '14 h 30', '24:00' -> 'minuit'."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    if hours in (0, 24) and minutes == 0:
        return "minuit"
    return f"{hours} h" + (f" {minutes:02d}" if minutes else "")


def moment(iso: str | None, now: datetime) -> str:
    """When, said the way people say it: "à 14 h", "demain à 9 h", "mardi 9 décembre à 9 h"."""
    if not iso:
        return ""
    at = datetime.fromisoformat(iso).astimezone(PARIS)
    hour = clock(at.strftime("%H:%M"))
    days = (at.date() - now.astimezone(PARIS).date()).days
    if days == 0:
        return f"à {hour}"
    if days == 1:
        return f"demain à {hour}"
    return f"{french_date(at.date()).rsplit(' ', 1)[0]} à {hour}"


def opening_line(status: dict, now: datetime) -> str:
    """ "Ouvert maintenant, fermeture à 12 h" or "Fermé — prochaine ouverture demain à 9 h"."""
    if status["open"]:
        until = moment(status.get("until"), now)
        return "Ouvert maintenant" + (f", fermeture {until}" if until else "")
    following = moment(status.get("next_opening"), now)
    return "Fermé" + (f" — prochaine ouverture {following}" if following else "")


def weekly_rows(slots: list[dict]) -> list[tuple[str, str]]:
    """[(day, "9 h – 12 h, 14 h – 18 h")] for each day of the week, "fermé" when none."""
    by_day: dict[str, list[str]] = {day: [] for day in DAYS}
    for slot in slots:
        by_day[slot["day"]].append(f"{clock(slot['opens'])} – {clock(slot['closes'])}")
    return [(DAY_LABELS[day], ", ".join(times) or "fermé") for day, times in by_day.items()]


def exception_line(exception: dict) -> str:
    start, end = date.fromisoformat(exception["start"]), date.fromisoformat(exception["end"])
    when = (
        f"le {french_date(start)}"
        if start == end
        else f"du {french_date(start)} au {french_date(end)}"
    )
    if exception["closed"]:
        what = "fermé"
    else:
        slots = ", ".join(f"{clock(s['opens'])} – {clock(s['closes'])}" for s in exception["slots"])
        what = f"horaires exceptionnels : {slots or 'fermé'}"
    label = f" ({exception['label']})" if exception.get("label") else ""
    return f"{when[0].upper()}{when[1:]} : {what}{label}"


def price(cents: int, unit: str) -> str:
    euros = f"{cents // 100},{cents % 100:02d}\u00a0€"
    return f"{euros} / {UNIT_LABELS.get(unit, unit)}"


templates.filters.update(clock=clock, price=price, phone=display_phone)


# --- what each service tells ----------------------------------------------------------------------


def _upcoming(feed: dict, now: datetime) -> list[dict]:
    """The calendar's animations not yet over, soonest first (the feed keeps a month of past)."""
    upcoming = [a for a in feed["animations"] if datetime.fromisoformat(a["ends_at"]) >= now]
    return sorted(upcoming, key=lambda a: a["starts_at"])[:UPCOMING_ANIMATIONS]


def _catalogue_by_producer(items: list[dict]) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(item["partner_name"], []).append(item)
    return list(groups.items())


def _answer(
    html: str, status: int = 200, request_id: str | None = None, cacheable: bool = True
) -> Response:
    """`cacheable`: a page with a part missing is not kept by caches on the way either."""
    headers = {"Cache-Control": CACHE if status == 200 and cacheable else "no-store"}
    if request_id:
        headers["X-Request-Id"] = request_id
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return Response(html, status=status, mimetype="text/html", headers=headers)


def _error(status: int, title: str, text: str, request_id: str) -> Response:
    html = templates.get_template("public/error.html").render(
        status=status, title=title, text=text, request_id=request_id
    )
    return _answer(html, status, request_id)


def _unavailable(request_id: str) -> Response:
    return _error(
        503,
        "Service momentanément indisponible",
        "La page n'a pas pu être préparée. Réessayez dans quelques instants.",
        request_id,
    )


class PageCache:
    """Whole public pages kept a few seconds (MAILLAGE_PUBLIC_CACHE_SECONDS): anyone may open them,
    crawlers included, and each costs three services a call. Only complete pages are kept (not a
    404, nor a page with a part missing), so the entries are at most one per village and the list;
    "open now" is at most that many seconds late, as the minute caches on the way are told."""

    MAX_ENTRIES = 10_000  # far above a national network's villages: a bound, never reached

    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds, self.clock = seconds, clock
        self.pages: dict[str, tuple[float, str]] = {}

    def get(self, key: str) -> str | None:
        kept = self.pages.get(key)
        if kept is None or kept[0] <= self.clock():
            return None
        return kept[1]

    def keep(self, key: str, html: str) -> None:
        if self.seconds <= 0:
            return
        if len(self.pages) >= self.MAX_ENTRIES:
            self.pages.clear()
        self.pages[key] = (self.clock() + self.seconds, html)

    def forget(self, key: str) -> None:
        """A page whose facts this gateway just changed (a console's edit): built again next."""
        self.pages.pop(key, None)


class PublicPageCache(DependencyProvider):
    """One PageCache per gateway process, shared by its workers (green threads: no lock needed,
    nothing in get/keep yields)."""

    def setup(self):
        self.cache = PageCache(config.public_page_cache_seconds())

    def get_dependency(self, worker_ctx):
        return self.cache


class PublicPages:
    """`/villages` and `/village/<slug>`: anyone, no session, no script."""

    public_cache = PublicPageCache()

    @public("/villages")
    def public_village_list(self, request):
        request_id = access_log.request_id(request)
        kept = self.public_cache.get("/villages")
        if kept is not None:
            return _answer(kept, request_id=request_id)
        try:
            villages = self.members_rpc.public_villages()
        except UNAVAILABLE:
            return _unavailable(request_id)
        html = templates.get_template("public/villages.html").render(
            villages=villages, kinds=KIND_LABELS, notes=LIST_NOTES
        )
        self.public_cache.keep("/villages", html)
        return _answer(html, request_id=request_id)

    @public("/village/<slug>")
    def public_village_page(self, request, slug):
        request_id = access_log.request_id(request)
        kept = self.public_cache.get("/village/" + slug)
        if kept is not None:
            return _answer(kept, request_id=request_id)
        now = utcnow()
        try:
            place = self.members_rpc.public_village(slug)
        except NotFound:
            return _error(
                404,
                "Village introuvable",
                "Aucun village du réseau n'a cette adresse : elle a peut-être changé.",
                request_id,
            )
        except UNAVAILABLE:
            return _unavailable(request_id)
        village = place["village"]
        catalogue = calendar = None
        if village["status"] != "closed":
            catalogue, calendar = self._public_parts(village["id"], now)
        html = templates.get_template("public/village.html").render(
            village=village,
            kind=KIND_LABELS.get(village["kind"], village["kind"]),
            note=STATUS_NOTES.get(village["status"]),
            opening=opening_line(place["opening"], now),
            open_now=place["opening"]["open"],
            weekly=weekly_rows(place["weekly"]),
            has_weekly=bool(place["weekly"]),
            exceptions=[exception_line(e) for e in place["exceptions"]],
            permanences=[
                dict(p, when=f"{DAY_LABELS[p['day']]}, {clock(p['opens'])} – {clock(p['closes'])}")
                for p in place.get("permanences", [])
            ],
            stops=[
                {
                    **stop,
                    "weekly": [row for row in weekly_rows(stop["weekly"]) if row[1] != "fermé"],
                    "opening": opening_line(status, now),
                }
                for stop, status in zip(place["stops"], _statuses(place))
            ],
            services=[VILLAGE_SERVICES.get(s["code"], s["label"]) for s in village["services"]],
            catalogue=catalogue,
            animations=calendar,
            moment=lambda iso: moment(iso, now),
            today=french_date(now),
        )
        complete = catalogue is not None and calendar is not None
        if complete:
            self.public_cache.keep("/village/" + slug, html)
        return _answer(html, request_id=request_id, cacheable=complete)

    def _public_parts(self, village_id: str, now: datetime):
        """The catalogue (orders) and the upcoming animations (events), asked at the same time; a
        part whose service does not answer is None (the page says so), the rest still shows."""

        def catalogue():
            items = self.orders_rpc.village_catalogue(village_id, True)
            return _catalogue_by_producer(items)

        def animations():
            return _upcoming(self.events_rpc.public_calendar(village_id), now)

        def ask(part):
            try:
                return part()
            except UNAVAILABLE:
                return None
            except NotFound:  # the service has not heard of the village yet (just opened)
                return []

        pool = eventlet.GreenPool(2)
        waiting = [pool.spawn(ask, part) for part in (catalogue, animations)]
        return tuple(thread.wait() for thread in waiting)


def _statuses(place: dict) -> list[dict]:
    """Each stop's "open now?", in the order of the stops (matched by id)."""
    by_id = {s["stop_id"]: s for s in place["opening"]["stops"]}
    closed = {"open": False, "until": None, "next_opening": None}
    return [by_id.get(stop["id"], closed) for stop in place["stops"]]
