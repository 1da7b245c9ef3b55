"""webhook secrets in the Standard Webhooks form: `whsec_<base64 of the HMAC key>`

A secret issued before was `whsec_<url-safe text>` and its HMAC key was that whole text's bytes.
Each is rewritten as `whsec_` + the base64 of those same bytes: the key does not change, so a
partner who kept the old secret computes the new one by themselves (examples/partner_subscriber/
README.md says how), and every secret now reads the same way (services/partners/webhooks.py).

Revision ID: 0008_standard_webhook_secrets
Revises: 0007_commune_links
"""

import base64
import binascii

import sqlalchemy as sa
from alembic import op

revision = "0008_standard_webhook_secrets"
down_revision = "0007_commune_links"
branch_labels = None
depends_on = None

PREFIX = "whsec_"
_hooks = sa.table("webhook_subscriptions", sa.column("id"), sa.column("secret"))


def _standard(secret: str) -> bool:
    try:
        return bool(base64.b64decode(secret.removeprefix(PREFIX), validate=True))
    except (binascii.Error, ValueError):
        return False


def upgrade():
    connection = op.get_bind()
    for hook_id, secret in connection.execute(sa.select(_hooks.c.id, _hooks.c.secret)).all():
        if secret.startswith(PREFIX) and _standard(secret):
            continue  # issued in the standard form (kept by a downgrade, upgraded again)
        standard = PREFIX + base64.b64encode(secret.encode()).decode()
        connection.execute(_hooks.update().where(_hooks.c.id == hook_id).values(secret=standard))


def downgrade():
    connection = op.get_bind()
    for hook_id, secret in connection.execute(sa.select(_hooks.c.id, _hooks.c.secret)).all():
        key = base64.b64decode(secret.removeprefix(PREFIX))
        try:
            legacy = key.decode()
        except UnicodeDecodeError:
            continue  # a secret issued in the standard form has no text form: kept as it is
        if legacy.startswith(PREFIX):
            connection.execute(_hooks.update().where(_hooks.c.id == hook_id).values(secret=legacy))
