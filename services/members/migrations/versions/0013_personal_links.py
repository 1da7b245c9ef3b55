"""personal links: the single-use sign-in links of inhabitants and volunteers (hashed token,
member, expiry, use) and the sessions they open (30 days at most, ended by the person or the
concierge); a member's request to be erased (members.erasure_requested_at), which their
concierge confirms

Revision ID: 0013_personal_links
Revises: 0012_permanences
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0013_personal_links"
down_revision = "0012_permanences"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("erasure_requested_at", UtcDateTime(), nullable=True))
    op.create_table(
        "member_personal_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_personal_links_member_id_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_personal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_member_personal_links_token_hash")),
    )
    op.create_index(
        op.f("ix_member_personal_links_member_id"),
        "member_personal_links",
        ["member_id"],
        unique=False,
    )
    op.create_table(
        "member_personal_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_personal_sessions_member_id_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_personal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_member_personal_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_member_personal_sessions_member_id"),
        "member_personal_sessions",
        ["member_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(
        op.f("ix_member_personal_sessions_member_id"), table_name="member_personal_sessions"
    )
    op.drop_table("member_personal_sessions")
    op.drop_index(op.f("ix_member_personal_links_member_id"), table_name="member_personal_links")
    op.drop_table("member_personal_links")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("erasure_requested_at")
