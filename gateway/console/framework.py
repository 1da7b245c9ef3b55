"""`@page(...)`: every console page, and the one place that decides who may open it.

    @page("/console/villages/<village_id>/habitants", roles=STAFF, village_scoped=True)
    def page_members(self, ctx): return ctx.render("members.html", ...)

For every request it: reads the session cookie (the gateway's signed staff token, HttpOnly,
SameSite=Strict) and sends to the sign-in page when there is none or it expired; checks the role;
checks the village (a concierge opens only their own village's pages: another village is a 403
page, never its data); on POST checks the form's CSRF token (derived from the session token);
renders the handler's answer; and turns every error into a page in French.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.wrappers import Request, Response

from backbone import formats
from backbone.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
)
from gateway import access_log, auth, i18n, web_security
from gateway.console.privacy import hides_people, without_people
from gateway.errors import INTERNAL_ERROR, HttpError, classify, conflict_values, error_headers
from gateway.routing import COORDINATOR, STAFF, RouteEntrypoint

log = logging.getLogger("maillage.gateway.console")

COOKIE = "maillage_console"
HERE = Path(__file__).parent
STATIC = HERE / "static"

__all__ = [
    "page",
    "Ctx",
    "STAFF",
    "COORDINATOR",
    "CONCIERGE",
    "COOKIE",
    "form_errors",
    "redirect",
]

# pages of inhabitants' personal data: never the coordinator's (gateway/routes/members.py)
CONCIERGE = ("concierge",)

# the consoles' names for the formats of backbone/formats.py (templates' filters, reports)
french_date = formats.long_date
french_time = formats.clock_time
french_number = formats.number


templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)


def labels(codes, mapping) -> str:
    return ", ".join(mapping.get(code, code) for code in codes or []) or "—"


templates.filters.update(
    french_date=french_date,
    french_time=french_time,
    number=french_number,
    money=formats.money,
    hours=formats.hours,
    plural=formats.plural,
    counted=formats.counted,
    labels=labels,
)


def csrf_token(session_token: str) -> str:
    return hmac.new(
        auth._secret().encode(), b"csrf:" + session_token.encode(), hashlib.sha256
    ).hexdigest()


# the sign-in form's own token: a nonce in a cookie only this page gets (SameSite=Strict), and its
# signature in the form. Another site's form cannot sign someone into an account of its choosing
LOGIN_COOKIE = "maillage_connexion"


def login_csrf_token(nonce: str) -> str:
    return hmac.new(auth._secret().encode(), b"login:" + nonce.encode(), hashlib.sha256).hexdigest()


def redirect(location: str) -> Response:
    return Response("", status=303, headers={"Location": location})


def set_session(response: Response, token: str | None) -> Response:
    if token is None:
        response.delete_cookie(
            COOKIE, path="/", httponly=True, samesite="Strict", secure=web_security.https()
        )
    else:
        response.set_cookie(
            COOKIE,
            token,
            max_age=auth.token_ttl(),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=web_security.https(),
        )
    return response


def form_errors(exc: Exception) -> dict[str, str]:
    """Field -> French message, for errors shown beside the field ("_" is the whole form)."""
    if isinstance(exc, InvalidInput):
        french = exc.errors_fr
        out = {}
        for name, messages in french.items() if isinstance(french, dict) else [("_", french)]:
            out[name] = _flatten(messages)
        out.setdefault("_", i18n.message("invalid_input")[0])
        return out
    if isinstance(exc, Conflict):
        code = classify(exc)[1].code_for(exc)
        try:
            text = i18n.message(code, reason=exc.reason, **conflict_values(exc))[0]
        except (KeyError, IndexError):
            text = i18n.message("conflict", reason=exc.reason)[0]
        return {exc.field or "_": text, "_": text}
    if isinstance(exc, NotFound):
        return {"_": i18n.message("not_found", what=i18n.thing(exc.what)[0])[0]}
    raise exc


def filled(data: dict) -> dict:
    """A form's answers without the empty ones: an empty required field is
    then "Champ obligatoire."."""
    return {key: value for key, value in data.items() if value not in ("", None)}


def _flatten(messages) -> str:
    if isinstance(messages, str):
        return messages
    if isinstance(messages, dict):
        return " ".join(_flatten(v) for v in messages.values())
    return " ".join(_flatten(m) for m in messages)


@dataclass
class Ctx:
    """What a page handler gets."""

    request: Request
    params: dict
    principal: auth.Principal
    token: str
    request_id: str
    nav: dict = field(default_factory=dict)

    @property
    def form(self):
        return self.request.form

    @property
    def args(self):
        return self.request.args

    @property
    def village_ids(self) -> list[str] | None:
        if self.principal.role == "coordinator":
            return None
        return [self.principal.village_id] if self.principal.village_id else []

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)

    @property
    def here(self) -> list[str]:
        """The page's village, as the services' `village_ids` argument: they find nothing of
        another village."""
        return [self.params["village_id"]]

    def form_key(self) -> str:
        """The idempotency key of the form on the page: the one it was sent with (shown again
        with its errors), or a new one. The same form sent twice records one order, parcel or
        help request."""
        return self.form.get("idempotency_key") or str(uuid.uuid4())

    def render(self, template: str, status: int = 200, **values) -> Response:
        if hides_people(self.principal, self.request.path):
            values = without_people(values)
        html = templates.get_template(template).render(
            principal=self.principal, csrf=self.csrf, request=self.request, nav=self.nav, **values
        )
        return Response(
            html,
            status=status,
            mimetype="text/html",
            headers={"Cache-Control": "no-store", "X-Request-Id": self.request_id},
        )


def error_page(status: int, title: str, text: str, principal=None, request_id=None) -> Response:
    html = templates.get_template("error.html").render(
        status=status, title=title, text=text, principal=principal, request_id=request_id, nav={}
    )
    headers = {"Cache-Control": "no-store", **error_headers(status)}
    return Response(html, status=status, mimetype="text/html", headers=headers)


def forbidden_village(principal=None, request_id=None) -> Response:
    return error_page(
        403,
        "Accès refusé",
        "Cette page appartient à un autre village : vous ne pouvez ouvrir "
        "que les pages de votre village.",
        principal,
        request_id,
    )


def refusal(roles) -> str:
    if "coordinator" in roles:
        return "Cette page est réservée à la coordination du réseau."
    # a page of people's personal data, the concierge's only: the same rule as the API
    return (
        "Les données personnelles des habitants (noms, téléphones, adresses) sont réservées au "
        "concierge de leur village. La coordination n'en voit que les chiffres : les effectifs "
        "sur la page Coordination, les bénévoles et leurs compétences sur la page Bénévoles "
        "de chaque village."
    )


def _login_redirect(request) -> Response:
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect("/console/connexion?suite=" + quote(target, safe=""))


def _serve(handler, roles, village_scoped, service, request, params):
    request_id = access_log.request_id(request)
    principal = None
    try:
        token = request.cookies.get(COOKIE)
        if not token:
            return _login_redirect(request)
        try:
            principal = auth.principal_from_token(token, service.members_rpc)
        except HttpError:
            return set_session(_login_redirect(request), None)
        if principal.role not in roles:
            return error_page(403, "Accès refusé", refusal(roles), principal, request_id)
        if (
            village_scoped
            and principal.role != "coordinator"
            and params.get("village_id") != principal.village_id
        ):
            return forbidden_village(principal, request_id)
        if request.method == "POST" and not hmac.compare_digest(
            request.form.get("csrf", ""), csrf_token(token)
        ):
            return error_page(
                403,
                "Formulaire expiré",
                "Ce formulaire n'est plus valable : rechargez la page et recommencez.",
                principal,
                request_id,
            )
        ctx = Ctx(request, params, principal, token, request_id)
        ctx.nav = service._console_nav(ctx)
        return handler(service, ctx)
    except AuthenticationFailed:
        return set_session(_login_redirect(request), None)
    except Exception as exc:  # noqa: BLE001  every error is a page, in one place
        return _page_for_error(exc, principal, request_id)


def _page_for_error(exc: Exception, principal, request_id: str) -> Response:
    """The French page of an error, with the status and title of its row of the error table
    (gateway/errors.py)."""
    exc, kind = classify(exc)
    if kind.page is None:
        kind = INTERNAL_ERROR
    if kind is INTERNAL_ERROR:
        log.error("console page failed [request %s]", request_id, exc_info=exc)
        text = i18n.message(kind.code, request_id=request_id)[0]
    elif isinstance(exc, ServiceUnavailable):
        text = i18n.message(kind.code, service=exc.service)[0]
    else:
        text = form_errors(exc)["_"]
    status, title = kind.page
    return error_page(status, title, text, principal, request_id)


@dataclass(frozen=True)
class PageSpec:
    """What the authorisation matrix
    (tests/gateway/test_authorization_matrix.py) reads of a page."""

    path: str
    methods: tuple[str, ...]
    roles: tuple[str, ...]  # empty: a public page
    village_scoped: bool
    handler_name: str


PAGES: list[PageSpec] = []  # every console page, filled by @page and @public


def page(
    path: str,
    *,
    methods: str = "GET",
    roles=STAFF,
    village_scoped: bool = False,
    write_roles=None,
):
    """A console page. `village_scoped`: the path has `<village_id>`, and a concierge may open it
    only for their own village. `write_roles`: who may POST its forms, when fewer than may read it
    (the coordinator reads a village's parcels as figures; receiving one for a person is the
    concierge's)."""
    if village_scoped and "<village_id>" not in path:
        raise ValueError(f"{path}: a village-scoped page needs <village_id> in its path")
    split = write_roles is not None
    write_roles = tuple(write_roles or roles)

    def decorate(handler):
        if split:  # the authorisation matrix reads each method's own roles
            for method in methods.split(","):
                allowed = write_roles if method == "POST" else tuple(roles)
                PAGES.append(PageSpec(path, (method,), allowed, village_scoped, handler.__name__))
        else:
            PAGES.append(
                PageSpec(
                    path, tuple(methods.split(",")), tuple(roles), village_scoped, handler.__name__
                )
            )

        def entry(self, request, **params):
            allowed = write_roles if request.method == "POST" else tuple(roles)
            return _serve(handler, allowed, village_scoped, self, request, params)

        entry.__name__ = handler.__name__
        entry.__doc__ = handler.__doc__
        return RouteEntrypoint.decorator(methods, path)(entry)

    return decorate


def public(path: str, *, methods: str = "GET"):
    """A page anyone may open (sign-in, static files)."""

    def decorate(handler):
        PAGES.append(PageSpec(path, tuple(methods.split(",")), (), False, handler.__name__))

        def entry(self, request, **params):
            request_id = access_log.request_id(request)
            try:
                return handler(self, request, **params)
            except Exception:  # noqa: BLE001
                log.exception("console page failed [request %s]", request_id)
                return error_page(
                    500,
                    "Erreur interne",
                    i18n.message("internal_error", request_id=request_id)[0],
                    None,
                    request_id,
                )

        entry.__name__ = handler.__name__
        entry.__doc__ = handler.__doc__
        return RouteEntrypoint.decorator(methods, path)(entry)

    return decorate
