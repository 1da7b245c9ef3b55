"""The opt-out link of every e-mail: `<MAILLAGE_PUBLIC_URL>/desabonnement?jeton=<token>`, the token
the member's id signed (itsdangerous) with `MAILLAGE_OPT_OUT_SECRET` (local runs: one secret
generated in the data directory). Following it withdraws the member's `contact` consent: from then
on they are only called by the concierge when something concerns them (`choose_channel`)."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer

from backbone import config
from backbone.clock import utcnow
from backbone.errors import InvalidInput
from backbone.messages import msg
from services.members.models import Member

SALT = "maillage-opt-out"


def public_url() -> str:
    """The network's public address (MAILLAGE_PUBLIC_URL, else GATEWAY_PUBLIC_URL)."""
    return config.public_url()


def _secret() -> str:
    secret = config.value("MAILLAGE_OPT_OUT_SECRET")
    if secret:
        return secret
    path = config.data_dir() / "opt-out-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def token_for(member_id: str) -> str:
    return URLSafeSerializer(_secret(), salt=SALT).dumps(str(member_id))


def withdraw_contact(uow, token: str) -> dict:
    """Withdraws the `contact` consent of the member the token names (once; again is harmless).
    A token that is not ours is refused naming the field."""
    try:
        member_id = URLSafeSerializer(_secret(), salt=SALT).loads(str(token or ""))
    except BadSignature:
        raise InvalidInput({"token": [msg("bad_opt_out_link")]}) from None
    member = uow.session.get(Member, str(member_id))
    if member is None or member.erased_at is not None:
        return {"withdrawn": False}
    from services.members import people  # people sends notices, which use this module

    before = people.described(member)
    now = utcnow()
    active = [c for c in member.consents if c.purpose == "contact" and c.withdrawn_at is None]
    for consent in active:
        consent.withdrawn_at = now
    people.announce_change(uow, member, before)
    uow.commit()
    return {"withdrawn": bool(active)}
