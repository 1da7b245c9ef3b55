"""Sign-in, sign-out, the landing page by role, and the console's static files."""

from __future__ import annotations

import hmac
import logging
import mimetypes
import os
import secrets

from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from backbone import config
from backbone.errors import AuthenticationFailed, InvalidInput, ServiceUnavailable, TooManyAttempts
from gateway import auth, i18n, web_security
from gateway.console.framework import (
    COOKIE,
    LOGIN_COOKIE,
    STAFF,
    STATIC,
    error_page,
    login_csrf_token,
    page,
    public,
    redirect,
    set_session,
    templates,
)
from gateway.errors import HttpError

log = logging.getLogger("maillage.gateway.console")


def landing_for(principal) -> str:
    if principal.role == "coordinator":
        return "/console/coordination"
    return f"/console/villages/{principal.village_id}/aujourdhui"


def _safe_next(target: str | None) -> str | None:
    if (
        target
        and target.startswith("/console/")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return None


def demo_run() -> bool:
    """A trial network with the demo data (`maillage run` sets MAILLAGE_DEMO=1 when it loads it):
    only there does the sign-in page show the demo accounts and their shared password."""
    return config.demo_run()


def _login_form(nonce: str, email="", error=None, target=None, status=200) -> Response:
    html = templates.get_template("login.html").render(
        email=email,
        error=error,
        suite=target or "",
        csrf=login_csrf_token(nonce),
        principal=None,
        nav={},
        demo=demo_run(),
    )
    response = Response(
        html, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"}
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/console/connexion",
        httponly=True,
        samesite="Strict",
        secure=web_security.https(),
    )
    return response


def _password_form(email="", code="", error=None, status=200, done=False) -> Response:
    html = templates.get_template("password.html").render(
        email=email, code=code, error=error, done=done, principal=None, nav={}
    )
    return Response(
        html,
        status=status,
        mimetype="text/html",
        # the code is in the address: no cache keeps the page, no link gives it away
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


class SessionPages:
    @public("/console")
    def console_root(self, request):
        token = request.cookies.get(COOKIE)
        if token:
            try:
                return redirect(landing_for(auth.principal_from_token(token, self.members_rpc)))
            except HttpError:
                pass
        return redirect("/console/connexion")

    @public("/console/connexion", methods="GET,POST")
    def console_login(self, request):
        target = _safe_next(request.values.get("suite"))
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if request.method == "GET":
            return _login_form(nonce or secrets.token_urlsafe(24), target=target)
        email = (request.form.get("email") or "").strip()
        if not nonce or not hmac.compare_digest(
            request.form.get("csrf", ""), login_csrf_token(nonce)
        ):
            return _login_form(
                secrets.token_urlsafe(24), email, i18n.message("login_form_expired")[0], target, 400
            )
        try:
            account = self.members_rpc.authenticate(
                {
                    "email": email,
                    "password": request.form.get("password", ""),
                    "client_address": auth.client_address(request),
                }
            )
        except TooManyAttempts as exc:
            wait, wait_en = i18n.duration(exc.retry_after)
            text = i18n.message("too_many_attempts", wait=wait, wait_en=wait_en)[0]
            response = _login_form(nonce, email, text, target, 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except (AuthenticationFailed, InvalidInput):
            return _login_form(nonce, email, i18n.message("bad_credentials")[0], target, status=401)
        except ServiceUnavailable as exc:
            return _login_form(
                nonce,
                email,
                i18n.message("service_unavailable", service=exc.service)[0],
                target,
                503,
            )
        token = auth.issue_token(account)
        principal = auth.principal_from_token(token)
        return set_session(redirect(target or landing_for(principal)), token)

    @public("/console/mot-de-passe", methods="GET,POST")
    def console_choose_password(self, request):
        """The link of the e-mail a staff member receives when their account is created or their
        password reset (`?courriel=…&code=…`): they choose their password with the one-time code.
        The code is the proof: a forged form without it changes nothing."""
        if request.method == "GET":
            return _password_form(request.args.get("courriel", ""), request.args.get("code", ""))
        email = (request.form.get("email") or "").strip()
        code = request.form.get("code") or ""
        password = request.form.get("password") or ""
        if not email or not code:
            return _password_form(email, code, i18n.message("bad_reset_code")[0], 400)
        if password != request.form.get("confirmation"):
            return _password_form(email, code, "Les deux mots de passe diffèrent.", 400)
        if len(password) < 10:
            text = "Choisissez un mot de passe d'au moins 10 caractères."
            return _password_form(email, code, text, 400)
        try:
            account = self.members_rpc.complete_staff_password_reset(
                {
                    "email": email,
                    "code": code,
                    "new_password": password,
                    "client_address": auth.client_address(request),
                }
            )
        except TooManyAttempts as exc:
            wait, wait_en = i18n.duration(exc.retry_after)
            text = i18n.message("too_many_attempts", wait=wait, wait_en=wait_en)[0]
            response = _password_form(email, code, text, 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except (AuthenticationFailed, InvalidInput):
            return _password_form(email, code, i18n.message("bad_reset_code")[0], 401)
        except ServiceUnavailable as exc:
            text = i18n.message("service_unavailable", service=exc.service)[0]
            return _password_form(email, code, text, 503)
        auth.forget_session_state(account["id"])
        return _password_form(email, done=True)

    @page("/console/deconnexion", methods="POST", roles=STAFF)
    def console_logout(self, ctx):
        """Ends this session at the members service too: the token is refused from now on, even if
        copied elsewhere."""
        principal = ctx.principal
        try:
            self.members_rpc.end_staff_session(
                principal.id,
                {"token_id": principal.token_id, "expires_at": principal.expires_at.isoformat()},
            )
        except ServiceUnavailable:  # the cookie still goes; the token itself expires in its time
            log.warning("sign-out of %s not recorded: members did not answer", principal.id)
        auth.forget_session_state(principal.id)
        return set_session(redirect("/console/connexion"), None)

    @public("/console/static/<path:name>")
    def console_static(self, request, name):
        path = safe_join(str(STATIC), name)
        if path is None or not name or not os.path.isfile(path):
            return error_page(404, "Introuvable", "Ce fichier n'existe pas.")
        with open(path, "rb") as handle:
            body = handle.read()
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return Response(body, mimetype=mimetype, headers={"Cache-Control": "public, max-age=3600"})

    @public("/console/<path:rest>", methods="GET,POST")
    def console_not_found(self, request, rest):
        """Any other address under /console: a page in French, not the API's JSON."""
        return error_page(
            404, "Page introuvable", "Cette page n'existe pas. Revenez à votre accueil."
        )
