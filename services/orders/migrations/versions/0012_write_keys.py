"""parcels and help_requests: an optional idempotency key, unique per village (a form sent twice or
a call retried after a lost answer records one parcel, one help request)

Revision ID: 0012_write_keys
Revises: 0011_village_changed_at
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_write_keys"
down_revision = "0011_village_changed_at"
branch_labels = None
depends_on = None

TABLES = {"parcels": "uq_parcels_idempotency", "help_requests": "uq_help_requests_idempotency"}


def upgrade():
    for table, constraint in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("idempotency_key", sa.String(length=80), nullable=True))
            batch_op.create_unique_constraint(constraint, ["village_id", "idempotency_key"])


def downgrade():
    for table, constraint in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(constraint, type_="unique")
            batch_op.drop_column("idempotency_key")
