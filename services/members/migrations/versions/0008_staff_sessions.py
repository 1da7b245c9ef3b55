"""staff sessions that can be ended (session version, disabled, reset code, signed-out tokens) and
the sign-in attempt counters

Revision ID: 0008_staff_sessions
Revises: 0007_members_joined_on
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0008_staff_sessions"
down_revision = "0007_members_joined_on"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("disabled_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("reset_code_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("reset_expires_at", UtcDateTime(), nullable=True))
    op.create_table(
        "staff_revoked_sessions",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_staff_revoked_sessions")),
    )
    op.create_index(
        op.f("ix_staff_revoked_sessions_account_id"), "staff_revoked_sessions", ["account_id"]
    )
    op.create_index(
        op.f("ix_staff_revoked_sessions_expires_at"), "staff_revoked_sessions", ["expires_at"]
    )
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UtcDateTime(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttles")),
    )


def downgrade():
    op.drop_table("sign_in_throttles")
    op.drop_index(op.f("ix_staff_revoked_sessions_expires_at"), table_name="staff_revoked_sessions")
    op.drop_index(op.f("ix_staff_revoked_sessions_account_id"), table_name="staff_revoked_sessions")
    op.drop_table("staff_revoked_sessions")
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("reset_expires_at")
        batch.drop_column("reset_code_hash")
        batch.drop_column("disabled_at")
        batch.drop_column("session_version")
