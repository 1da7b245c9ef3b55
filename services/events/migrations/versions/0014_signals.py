"""signals the network learns from: the ledger of needs seen (signals: suggestions, supports,
unmatched coups de main, refused orders), the grappes' villages (known_grappes); the suggestions and
supports already recorded enter the ledger (their month taken in UTC: at most a few hours' edge)

Revision ID: 0014_signals
Revises: 0013_offline_actions
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0014_signals"
down_revision = "0013_offline_actions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signals",
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("source_id", sa.String(80), nullable=False),
        sa.Column("theme", sa.String(30), nullable=False),
        sa.Column("detail", sa.String(60), nullable=True),
        sa.Column("village_id", sa.String(36), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "source_id", name=op.f("pk_signals")),
    )
    op.create_index("ix_signals_month_theme", "signals", ["month", "theme"])
    op.create_index(op.f("ix_signals_village_id"), "signals", ["village_id"])
    op.create_table(
        "known_grappes",
        sa.Column("grappe_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("village_ids", sa.JSON(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("grappe_id", name=op.f("pk_known_grappes")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    month = (
        (lambda column: f"strftime('%Y-%m', {column})")
        if sqlite
        else (lambda column: f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')")
    )
    support_id = "s.suggestion_id || ':' || s.member_id"
    op.execute(
        "INSERT INTO signals (source, source_id, theme, village_id, month, seen_at) "
        f"SELECT 'suggestion', id, category, village_id, {month('created_at')}, created_at "
        "FROM suggestions"
    )
    op.execute(
        "INSERT INTO signals (source, source_id, theme, village_id, month, seen_at) "
        f"SELECT 'support', {support_id}, g.category, g.village_id, {month('s.supported_at')}, "
        "s.supported_at FROM suggestion_supports s JOIN suggestions g ON g.id = s.suggestion_id"
    )


def downgrade():
    op.drop_table("known_grappes")
    op.drop_index(op.f("ix_signals_village_id"), table_name="signals")
    op.drop_index("ix_signals_month_theme", table_name="signals")
    op.drop_table("signals")
