"""Routes about staff accounts (members service): creating them, signing out, changing and
resetting a password, disabling an account. Each of the last four ends sessions: the gateway
forgets what it cached of the account (auth.forget_session_state), the other replicas within
GATEWAY_SESSION_CHECK_SECONDS."""

from gateway import auth
from gateway.routing import COORDINATOR, STAFF, route
from gateway.schemas import NoBody, TokenOutput
from services.members.schemas import StaffAccountInput, StaffAccountOutput
from services.members.schemas.accounts import (
    AccountStatusInput,
    PasswordChangeBody,
    PasswordResetBody,
    PasswordResetStarted,
    SignedOut,
)


def token_answer(account: dict) -> dict:
    token = auth.issue_token(account)
    return {
        "token": token,
        "expires_in": auth.token_ttl(),
        "account": {k: v for k, v in account.items() if k != "session_version"},
    }


class AccountRoutes:
    @route(
        "POST",
        "/api/staff",
        summary="Créer un compte (concierge d'un village, ou coordination)",
        tag="comptes",
        roles=COORDINATOR,
        body=StaffAccountInput,
        response=StaffAccountOutput,
        status=201,
        errors=(404, 409),
    )
    def create_staff_account(self, call):
        return self.members_rpc.create_staff_account(call.body)

    @route(
        "GET",
        "/api/staff",
        summary="Les comptes du personnel (actifs ou désactivés)",
        tag="comptes",
        roles=COORDINATOR,
        response=StaffAccountOutput,
        many=True,
        paged=True,
    )
    def list_staff_accounts(self, call):
        return self.members_rpc.list_staff_accounts(call.window)

    @route(
        "POST",
        "/api/staff/<account_id>/status",
        summary="Désactiver ou réactiver un compte",
        tag="comptes",
        roles=COORDINATOR,
        body=AccountStatusInput,
        response=StaffAccountOutput,
        errors=(404, 409),
    )
    def set_staff_account_status(self, call):
        """Disabled: the account cannot sign in and its sessions end. A coordinator
        cannot disable their own."""
        account_id = call.params["account_id"]
        account = self.members_rpc.set_staff_account_status(
            account_id, call.sent, call.principal.id
        )
        auth.forget_session_state(account_id)
        return account

    @route(
        "POST",
        "/api/staff/<account_id>/password-reset",
        summary="Réinitialiser le mot de passe d'un compte",
        tag="comptes",
        roles=COORDINATOR,
        body=NoBody,
        response=PasswordResetStarted,
        status=201,
        errors=(404,),
    )
    def start_password_reset(self, call):
        """Ends the account's sessions and gives a one-time code (shown once, valid 24 h) with which
        its owner chooses a new password (`POST /api/auth/password-reset`)."""
        account_id = call.params["account_id"]
        started = self.members_rpc.start_staff_password_reset(account_id)
        auth.forget_session_state(account_id)
        return started

    @route(
        "POST",
        "/api/auth/password-reset",
        summary="Choisir un nouveau mot de passe avec un code de la coordination",
        tag="authentification",
        body=PasswordResetBody,
        response=StaffAccountOutput,
        errors=(401, 429),
    )
    def complete_password_reset(self, call):
        account = self.members_rpc.complete_staff_password_reset(
            {**call.sent, "client_address": auth.client_address(call.request)}
        )
        auth.forget_session_state(account["id"])
        return account

    @route(
        "POST",
        "/api/auth/password",
        summary="Changer son mot de passe",
        tag="authentification",
        roles=STAFF,
        body=PasswordChangeBody,
        response=TokenOutput,
        errors=(401, 429),
    )
    def change_password(self, call):
        """Every session of the account ends, this one too: the answer holds a new token."""
        account = self.members_rpc.change_staff_password(call.principal.id, call.sent)
        auth.forget_session_state(call.principal.id)
        return token_answer(account)

    @route(
        "POST",
        "/api/auth/logout",
        summary="Se déconnecter (ce jeton ne vaut plus rien)",
        tag="authentification",
        roles=STAFF,
        body=NoBody,
        response=SignedOut,
    )
    def logout(self, call):
        principal = call.principal
        self.members_rpc.end_staff_session(
            principal.id,
            {"token_id": principal.token_id, "expires_at": principal.expires_at.isoformat()},
        )
        auth.forget_session_state(principal.id)
        return {"signed_out": True}
