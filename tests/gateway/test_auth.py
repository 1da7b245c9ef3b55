"""Tokens are signed and expire."""

import pytest

from gateway import auth
from gateway.errors import HttpError

ACCOUNT = {"id": "a1", "role": "concierge", "village_id": "v1", "full_name": "Lucie"}


def test_a_token_carries_role_and_village(monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "s3cret")
    principal = auth.principal_from_token(auth.issue_token(ACCOUNT))
    assert (principal.id, principal.role, principal.village_id) == ("a1", "concierge", "v1")


def test_an_expired_token_is_refused_with_its_reason(monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "s3cret")
    monkeypatch.setenv("GATEWAY_TOKEN_TTL", "60")
    token = auth.issue_token(ACCOUNT)
    import itsdangerous.timed

    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() + 120)
    with pytest.raises(HttpError) as err:
        auth.principal_from_token(token)
    assert (err.value.status, err.value.code) == (401, "token_expired")


def test_a_token_signed_with_another_secret_is_refused(monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "one")
    token = auth.issue_token(ACCOUNT)
    monkeypatch.setenv("GATEWAY_SECRET", "two")
    with pytest.raises(HttpError) as err:
        auth.principal_from_token(token)
    assert err.value.code == "token_invalid"


def test_without_a_configured_secret_one_is_generated_and_kept(monkeypatch):
    monkeypatch.delenv("GATEWAY_SECRET", raising=False)
    token = auth.issue_token(ACCOUNT)
    assert auth.principal_from_token(token).id == "a1"
