"""animations (co-organisers, registrations and waiting list, volunteer roles)
and suggestions (supports)

Revision ID: 0005_animations
Revises: 0004_merge
Create Date: 2026-11-28 11:57:33.320217
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime  # noqa: F401

revision = "0005_animations"
down_revision = "0004_merge"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "animations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("series_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cancel_reason", sa.String(length=300), nullable=True),
        sa.Column("people_reached", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.Column("attended_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_animations")),
    )
    with op.batch_alter_table("animations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_animations_series_id"), ["series_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_animations_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_animations_village_id"), ["village_id"], unique=False)

    op.create_table(
        "suggestions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decline_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestions")),
    )
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suggestions_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_suggestions_village_id"), ["village_id"], unique=False)

    op.create_table(
        "animation_co_organisers",
        sa.Column("animation_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["animation_id"],
            ["animations.id"],
            name=op.f("fk_animation_co_organisers_animation_id_animations"),
        ),
        sa.PrimaryKeyConstraint(
            "animation_id", "partner_id", name=op.f("pk_animation_co_organisers")
        ),
    )
    op.create_table(
        "animation_registrations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("animation_id", sa.String(length=36), nullable=False),
        sa.Column("person_key", sa.String(length=60), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("guest_name", sa.String(length=120), nullable=True),
        sa.Column("guest_phone", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("promoted_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["animation_id"],
            ["animations.id"],
            name=op.f("fk_animation_registrations_animation_id_animations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_animation_registrations")),
        sa.UniqueConstraint("animation_id", "person_key", name="uq_animation_registrations_person"),
    )
    with op.batch_alter_table("animation_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_animation_registrations_animation_id"), ["animation_id"], unique=False
        )

    op.create_table(
        "animation_role_volunteers",
        sa.Column("animation_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["animation_id"],
            ["animations.id"],
            name=op.f("fk_animation_role_volunteers_animation_id_animations"),
        ),
        sa.PrimaryKeyConstraint(
            "animation_id", "member_id", name=op.f("pk_animation_role_volunteers")
        ),
    )
    op.create_table(
        "animation_roles",
        sa.Column("animation_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["animation_id"],
            ["animations.id"],
            name=op.f("fk_animation_roles_animation_id_animations"),
        ),
        sa.PrimaryKeyConstraint("animation_id", "role", name=op.f("pk_animation_roles")),
    )
    op.create_table(
        "suggestion_supports",
        sa.Column("suggestion_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("supported_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_suggestion_supports_suggestion_id_suggestions"),
        ),
        sa.PrimaryKeyConstraint("suggestion_id", "member_id", name=op.f("pk_suggestion_supports")),
    )


def downgrade():
    op.drop_table("suggestion_supports")
    op.drop_table("animation_roles")
    op.drop_table("animation_role_volunteers")
    with op.batch_alter_table("animation_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_animation_registrations_animation_id"))

    op.drop_table("animation_registrations")
    op.drop_table("animation_co_organisers")
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestions_village_id"))
        batch_op.drop_index(batch_op.f("ix_suggestions_category"))

    op.drop_table("suggestions")
    with op.batch_alter_table("animations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_animations_village_id"))
        batch_op.drop_index(batch_op.f("ix_animations_series_id"))
        batch_op.drop_index(batch_op.f("ix_animations_starts_at"))

    op.drop_table("animations")
