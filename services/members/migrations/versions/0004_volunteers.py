"""volunteers: skills taxonomy, volunteers (skills, availability, villages served), time bank,
help demand read model

Revision ID: 0004_volunteers
Revises: 0003_people
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime  # noqa: F401

revision = "0004_volunteers"
down_revision = "0003_people"
branch_labels = None
depends_on = None

# The network-wide taxonomy as it stood at this revision (later revisions add or rename skills).
SKILLS = [
    # code, French label, category
    ("lavage_vitres", "Lavage de vitres", "maison"),
    ("menage", "Petit ménage", "maison"),
    ("bricolage", "Petit bricolage", "maison"),
    ("debarras_meubles", "Débarras et déplacement de meubles", "maison"),
    ("garde_animaux", "Garde d'animaux", "maison"),
    ("jardinage", "Petit jardinage", "jardin"),
    ("tonte", "Tonte de pelouse", "jardin"),
    ("taille_haies", "Taille de haies", "jardin"),
    ("chauffeur", "Transport / chauffeur (courses, rendez-vous)", "mobilite"),
    ("livraison", "Livraison à domicile", "mobilite"),
    ("aide_numerique", "Aide numérique (téléphone, ordinateur, démarches en ligne)", "numerique"),
    ("accompagnement_administratif", "Accompagnement administratif", "administratif"),
    ("cuisine", "Cuisine", "cuisine_couture"),
    ("couture", "Couture et retouches", "cuisine_couture"),
    ("animation_atelier", "Animation d'atelier", "lien_social"),
    ("visite_convivialite", "Visites de convivialité", "lien_social"),
]


def upgrade():
    skills = op.create_table(
        "skills",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_skills")),
    )
    op.bulk_insert(skills, [{"code": c, "label": label, "category": k} for c, label, k in SKILLS])

    op.create_table(
        "volunteers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("max_distance_km", sa.Integer(), nullable=True),
        sa.Column("has_licence", sa.Boolean(), nullable=False),
        sa.Column("has_vehicle", sa.Boolean(), nullable=False),
        sa.Column("network_visible", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_volunteers_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint("member_id", name=op.f("uq_volunteers_member_id")),
    )
    op.create_table(
        "volunteer_skills",
        sa.Column("volunteer_id", sa.String(length=36), nullable=False),
        sa.Column("skill_code", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_code"], ["skills.code"], name=op.f("fk_volunteer_skills_skill_code_skills")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_skills_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "skill_code", name=op.f("pk_volunteer_skills")),
    )
    op.create_table(
        "volunteer_availability",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("volunteer_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.String(length=5), nullable=False),
        sa.Column("ends_at", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_availability_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_availability")),
    )
    with op.batch_alter_table("volunteer_availability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_availability_volunteer_id"), ["volunteer_id"], unique=False
        )
    op.create_table(
        "volunteer_villages",
        sa.Column("volunteer_id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_id"], ["villages.id"], name=op.f("fk_volunteer_villages_village_id_villages")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_villages_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "village_id", name=op.f("pk_volunteer_villages")),
    )
    op.create_table(
        "time_bank_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(length=60), nullable=False),
        sa.Column("source_ref", sa.String(length=36), nullable=False),
        sa.Column("source_event_id", sa.String(length=36), nullable=False),
        sa.Column("skill_code", sa.String(length=40), nullable=True),
        sa.Column("role", sa.String(length=60), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_bank_entries")),
        sa.UniqueConstraint(
            "source_event_id", "member_id", name=op.f("uq_time_bank_entries_source_event_id")
        ),
        sa.UniqueConstraint(
            "source_type", "source_ref", "member_id", name=op.f("uq_time_bank_entries_source_type")
        ),
    )
    with op.batch_alter_table("time_bank_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_time_bank_entries_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_time_bank_entries_village_id"), ["village_id"], unique=False
        )
    op.create_table(
        "help_demand",
        sa.Column("help_request_id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("skill_code", sa.String(length=40), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=True),
        sa.Column("unmatched_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("help_request_id", name=op.f("pk_help_demand")),
    )
    with op.batch_alter_table("help_demand", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_demand_village_id"), ["village_id"], unique=False)


def downgrade():
    with op.batch_alter_table("help_demand", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_demand_village_id"))
    op.drop_table("help_demand")
    with op.batch_alter_table("time_bank_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_time_bank_entries_village_id"))
        batch_op.drop_index(batch_op.f("ix_time_bank_entries_member_id"))
    op.drop_table("time_bank_entries")
    op.drop_table("volunteer_villages")
    with op.batch_alter_table("volunteer_availability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_availability_volunteer_id"))
    op.drop_table("volunteer_availability")
    op.drop_table("volunteer_skills")
    op.drop_table("volunteers")
    op.drop_table("skills")
