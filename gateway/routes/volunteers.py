"""Routes about volunteers (bénévoles), the time bank and the skills map (members service).

Role and village scope are declared here and enforced in gateway/routing.py; which volunteers a
caller sees follows from `call.village_ids` (the members service filters by it):
- a concierge manages the volunteers whose home village is theirs and sees those who serve it;
- the coordinator sees the volunteers who opted in network-wide, every village's time bank totals
  and the network's skills map (counts only, no personal data)."""

from gateway import skills
from gateway.routing import COORDINATOR, STAFF, route
from gateway.schemas import NoBody
from gateway.skills import known_skills
from services.members.schemas.volunteers import (
    MonthInput,
    NetworkSkillsMapOutput,
    SkillChangeInput,
    SkillInput,
    SkillOutput,
    TimeBankTotalOutput,
    VillageSkillsMapOutput,
    VolunteerFiltersInput,
    VolunteerHoursOutput,
    VolunteerInput,
    VolunteerOutput,
    VolunteerUpdateInput,
)


class VolunteerRoutes:
    @route(
        "GET",
        "/api/skills",
        summary="Les compétences du réseau (taxonomie commune)",
        tag="bénévoles",
        roles=STAFF,
        response=SkillOutput,
        many=True,
    )
    def list_skills(self, call):
        """The skills offered today. A need outside the list is not refused: a help request may
        name it, and the skills map counts it as a need outside the list."""
        return known_skills(self.members_rpc)

    @route(
        "GET",
        "/api/skills/all",
        summary="Toutes les compétences de la liste, retirées comprises",
        tag="bénévoles",
        roles=COORDINATOR,
        response=SkillOutput,
        many=True,
    )
    def list_all_skills(self, call):
        return self.members_rpc.list_skills(include_retired=True)

    @route(
        "POST",
        "/api/skills",
        summary="Ajouter une compétence à la liste du réseau",
        tag="bénévoles",
        roles=COORDINATOR,
        body=SkillInput,
        response=SkillOutput,
        status=201,
        errors=(409,),
    )
    def add_skill(self, call):
        """Its code is made from its label when none is given (« Plomberie » → `plomberie`): the
        help requests that already named that need count as it from now on. Every service and
        partner is told (`skill.added`)."""
        added = self.members_rpc.add_skill(call.sent)
        skills.forget()
        return added

    @route(
        "PATCH",
        "/api/skills/<code>",
        summary="Renommer une compétence ou changer sa catégorie",
        tag="bénévoles",
        roles=COORDINATOR,
        body=SkillChangeInput,
        response=SkillOutput,
        errors=(404,),
    )
    def rename_skill(self, call):
        renamed = self.members_rpc.rename_skill(call.params["code"], call.sent)
        skills.forget()
        return renamed

    @route(
        "POST",
        "/api/skills/<code>/retire",
        summary="Retirer une compétence de la liste (les bénévoles qui l'ont la gardent)",
        tag="bénévoles",
        roles=COORDINATOR,
        body=NoBody,
        response=SkillOutput,
        errors=(404,),
    )
    def retire_skill(self, call):
        retired = self.members_rpc.retire_skill(call.params["code"])
        skills.forget()
        return retired

    @route(
        "GET",
        "/api/volunteers",
        tag="bénévoles",
        roles=STAFF,
        response=VolunteerOutput,
        many=True,
        paged=True,
        summary="Les bénévoles visibles (?skill=jardinage, ?village_id=…)",
        errors=(400,),
        query=VolunteerFiltersInput,
    )
    def list_volunteers(self, call):
        """A concierge: the volunteers of their village and those who serve it. The coordinator: the
        volunteers who opted in to be visible network-wide."""
        return self.members_rpc.list_volunteers(call.village_ids, call.query_sent, call.window)

    @route(
        "POST",
        "/api/volunteers",
        tag="bénévoles",
        roles=STAFF,
        body=VolunteerInput,
        response=VolunteerOutput,
        status=201,
        errors=(404, 409),
        summary="Inscrire un·e habitant·e comme bénévole "
        "(compétences, disponibilités, villages servis)",
    )
    def create_volunteer(self, call):
        """The member must belong to the concierge's village (else 404). Unknown skills or villages,
        inverted or overlapping slots: 400 naming the field. Announces `volunteer.available`."""
        return self.members_rpc.create_volunteer(call.body, call.village_ids)

    @route(
        "GET",
        "/api/volunteers/<volunteer_id>",
        tag="bénévoles",
        roles=STAFF,
        response=VolunteerOutput,
        summary="Un·e bénévole",
        errors=(404,),
    )
    def get_volunteer(self, call):
        return self.members_rpc.get_volunteer(call.params["volunteer_id"], call.village_ids)

    @route(
        "PATCH",
        "/api/volunteers/<volunteer_id>",
        tag="bénévoles",
        roles=STAFF,
        body=VolunteerUpdateInput,
        response=VolunteerOutput,
        summary="Modifier un·e bénévole (les champs envoyés remplacent les anciens)",
        errors=(404,),
    )
    def update_volunteer(self, call):
        """Only the concierge of the volunteer's home village (or the coordinator, for those who
        opted in). Announces `volunteer.available` again."""
        return self.members_rpc.update_volunteer(
            call.params["volunteer_id"], call.body, call.village_ids
        )

    @route(
        "GET",
        "/api/volunteers/<volunteer_id>/hours",
        tag="banque de temps",
        roles=STAFF,
        response=VolunteerHoursOutput,
        summary="Heures données par un·e bénévole : solde et historique",
        errors=(404,),
    )
    def volunteer_hours(self, call):
        return self.members_rpc.volunteer_hours(call.params["volunteer_id"], call.village_ids)

    @route(
        "GET",
        "/api/time-bank",
        tag="banque de temps",
        roles=STAFF,
        response=TimeBankTotalOutput,
        many=True,
        summary="Heures données par village, par mois et au total (?month=2026-11)",
        errors=(400,),
        query=MonthInput,
    )
    def time_bank_totals(self, call):
        """The coordinator: every village. A concierge: their own village."""
        return self.members_rpc.time_bank_totals(call.village_ids, call.query_sent.get("month"))

    @route(
        "GET",
        "/api/skills-map",
        tag="compétences",
        roles=COORDINATOR,
        response=NetworkSkillsMapOutput,
        summary="Carte des compétences du réseau : offre, demande, compétences manquantes",
    )
    def network_skills_map(self, call):
        """Supply (volunteers serving each village, counted once for the network) against demand
        (help requests, unanswered ones): `missing` lists the skills asked
        for with no one in reach."""
        return self.members_rpc.skills_map(None)

    @route(
        "GET",
        "/api/villages/<village_id>/skills-map",
        tag="compétences",
        roles=STAFF,
        scope="path:village_id",
        response=VillageSkillsMapOutput,
        errors=(404,),
        summary="Carte des compétences d'un village",
    )
    def village_skills_map(self, call):
        return self.members_rpc.skills_map(call.params["village_id"])
