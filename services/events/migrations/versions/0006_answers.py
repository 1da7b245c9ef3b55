"""multi-village animations, suggestion answers, people reached, guest erasure

Revision ID: 0006_answers
Revises: 0005_animations
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from backbone.tables import UtcDateTime  # noqa: F401

revision = "0006_answers"
down_revision = "0005_animations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "animation_villages",
        sa.Column("animation_id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["animation_id"],
            ["animations.id"],
            name=op.f("fk_animation_villages_animation_id_animations"),
        ),
        sa.PrimaryKeyConstraint("animation_id", "village_id", name=op.f("pk_animation_villages")),
    )
    with op.batch_alter_table("animation_villages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_animation_villages_village_id"), ["village_id"], unique=False
        )

    op.create_table(
        "known_offers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_offers")),
    )
    with op.batch_alter_table("animations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guests", sa.Integer(), nullable=True))
    with op.batch_alter_table("animation_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guest_erased_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("village_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("present", sa.Boolean(), nullable=True))
    # registrations made before: from the host village
    op.execute(
        "UPDATE animation_registrations SET village_id = (SELECT animations.village_id FROM "
        "animations WHERE animations.id = animation_registrations.animation_id)"
    )
    with op.batch_alter_table("animation_role_volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minutes", sa.Integer(), nullable=True))
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_by_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("answered_by_id", sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_column("answered_by_id")
        batch_op.drop_column("answered_by_kind")
    with op.batch_alter_table("animation_role_volunteers", schema=None) as batch_op:
        batch_op.drop_column("minutes")
    with op.batch_alter_table("animation_registrations", schema=None) as batch_op:
        batch_op.drop_column("present")
        batch_op.drop_column("village_id")
        batch_op.drop_column("guest_erased_at")
    with op.batch_alter_table("animations", schema=None) as batch_op:
        batch_op.drop_column("guests")
    op.drop_table("known_offers")
    with op.batch_alter_table("animation_villages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_animation_villages_village_id"))
    op.drop_table("animation_villages")
