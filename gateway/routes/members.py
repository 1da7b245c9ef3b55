"""Routes about people (inhabitants; members service). Personal data is for the concierge of the
member's home village only (`roles=CONCIERGE`, `scope="path:village_id"`); the coordinator sees
counts, and the members who consented to be shared across the network."""

from backbone.clock import utcnow
from backbone.formats import ENGLISH, counted
from gateway import i18n
from gateway.errors import error_body, json_response
from gateway.routing import COORDINATOR, STAFF, route
from services.members.schemas.people import (
    ConsentInput,
    ImportInput,
    ImportReportOutput,
    MemberCreateBody,
    MemberOutput,
    MemberSearchInput,
    MemberStatsOutput,
    MemberSummaryOutput,
    MemberUpdateInput,
    SharedMemberOutput,
)

CONCIERGE = ("concierge",)
_MEMBER = "/api/villages/<village_id>/members/<member_id>"


def member_export(gateway, village_id: str, member_id: str) -> dict:
    """Everything the network holds about one person (RGPD): the API's export and the console's
    download are this one document."""
    member = gateway.members_rpc.export_member(village_id, member_id)
    return {
        "exported_at": utcnow().isoformat(),
        "member": member,
        "orders": gateway.orders_rpc.member_data(member_id),
        "events": gateway.events_rpc.member_data(member_id),
        "partners": gateway.partners_rpc.member_data(member_id),
    }


class MemberRoutes:
    @route(
        "GET",
        "/api/villages/<village_id>/members",
        tag="habitants",
        roles=CONCIERGE,
        scope="path:village_id",
        response=MemberSummaryOutput,
        many=True,
        summary="Chercher un·e habitant·e du village (nom ou téléphone, ?q=…)",
        errors=(400,),
        query=MemberSearchInput,
    )
    def search_members(self, call):
        """`q`: a name (accents and case ignored) or a phone number in any format, or its last
        digits; empty lists the village's members. Likely duplicates are flagged on each line."""
        return self.members_rpc.search_members(call.params["village_id"], call.query_sent)

    @route(
        "POST",
        "/api/villages/<village_id>/members",
        tag="habitants",
        roles=CONCIERGE,
        scope="path:village_id",
        body=MemberCreateBody,
        response=MemberOutput,
        status=201,
        summary="Inscrire un·e habitant·e",
        errors=(404, 409),
    )
    def register_member(self, call):
        """Phone numbers are stored in E.164. A likely duplicate (same phone, or same name in the
        village) is refused with 409 naming the existing member, unless `confirm_duplicate` is true.
        Announces `member.registered` (without contact details)."""
        return self.members_rpc.register_member(
            {**call.sent, "village_id": call.params["village_id"]}
        )

    @route(
        "POST",
        "/api/villages/<village_id>/members/import",
        tag="habitants",
        roles=CONCIERGE,
        scope="path:village_id",
        body=ImportInput,
        response=ImportReportOutput,
        summary="Importer des habitant·es depuis un fichier CSV (export de tableur)",
        errors=(404,),
    )
    def import_members(self, call):
        """The body is the CSV file itself (`Content-Type: text/csv`): French headers (Nom, Prénom,
        Téléphone, E-mail, Adresse, Code postal, Commune, Profil, Canal préféré, Date d'adhésion,
        Cotisation, Date de renouvellement, Consentements), `;` or `,` separated, UTF-8 or
        Windows-1252. All or nothing: when any row has a problem nothing is imported and the answer
        (400) lists each problem with its line and column, in French."""
        report = self.members_rpc.import_members(
            call.params["village_id"], {"text": call.body["text"]}
        )
        report["problems"] = i18n.import_problems(report["problems"])
        if report["problems"]:
            count = len(report["problems"])
            body = error_body(
                "import_refused",
                call.request_id,
                problems=counted(count, "problème", "problèmes"),
                problems_en=counted(count, "problem", "problems", ENGLISH),
            )
            body["error"]["problems"] = report["problems"]
            body["report"] = report
            return json_response(body, 400, {"X-Request-Id": call.request_id})
        return report

    @route(
        "GET",
        _MEMBER,
        tag="habitants",
        roles=CONCIERGE,
        scope="path:village_id",
        response=MemberOutput,
        summary="La fiche d'un·e habitant·e",
        errors=(404,),
    )
    def get_member(self, call):
        return self.members_rpc.get_member(call.params["village_id"], call.params["member_id"])

    @route(
        "PATCH",
        _MEMBER,
        tag="habitants",
        roles=CONCIERGE,
        scope="path:village_id",
        body=MemberUpdateInput,
        response=MemberOutput,
        summary="Modifier la fiche d'un·e habitant·e",
        errors=(404, 409),
    )
    def update_member(self, call):
        return self.members_rpc.update_member(
            call.params["village_id"], call.params["member_id"], call.sent
        )

    @route(
        "POST",
        _MEMBER + "/consents",
        tag="habitants",
        roles=CONCIERGE,
        scope="path:village_id",
        body=ConsentInput,
        response=MemberOutput,
        summary="Enregistrer un consentement",
        errors=(404,),
    )
    def give_consent(self, call):
        return self.members_rpc.give_consent(
            call.params["village_id"], call.params["member_id"], call.body
        )

    @route(
        "DELETE",
        _MEMBER + "/consents/<purpose>",
        tag="habitants",
        roles=CONCIERGE,
        scope="path:village_id",
        response=MemberOutput,
        errors=(400, 404, 409),
        summary="Retirer un consentement (l'historique est gardé)",
    )
    def withdraw_consent(self, call):
        """Withdrawing `share_with_network` hides the member outside their home village at once."""
        return self.members_rpc.withdraw_consent(
            call.params["village_id"], call.params["member_id"], {"purpose": call.params["purpose"]}
        )

    @route(
        "GET",
        _MEMBER + "/export",
        tag="habitants",
        roles=CONCIERGE,
        scope="path:village_id",
        summary="RGPD : toutes les données sur une personne (JSON)",
        errors=(404,),
    )
    def export_member(self, call):
        """The members service's record (identity, contact, tags, membership, consents with their
        history, notices) and what every other service holds about the person: orders, parcels,
        help requests and round stops (orders), registrations and suggestions (events), pledges
        (partners)."""
        return member_export(self, call.params["village_id"], call.params["member_id"])

    @route(
        "DELETE",
        _MEMBER,
        tag="habitants",
        roles=CONCIERGE,
        scope="path:village_id",
        errors=(404,),
        summary="RGPD : effacer une personne (anonymisée dans chaque service)",
    )
    def erase_member(self, call):
        """Clears names, phone, email, address and profile in the members service and announces
        `member.erased`: orders, events and partners anonymise their copies. Erasing
        twice changes nothing."""
        return self.members_rpc.erase_member(call.params["village_id"], call.params["member_id"])

    @route(
        "GET",
        "/api/network/members/stats",
        tag="habitants",
        roles=COORDINATOR,
        response=MemberStatsOutput,
        summary="Habitant·es : effectifs par village et par profil (sans données personnelles)",
    )
    def member_stats(self, call):
        return self.members_rpc.member_stats(None)

    @route(
        "GET",
        "/api/network/members/shared",
        tag="habitants",
        roles=STAFF,
        response=SharedMemberOutput,
        many=True,
        paged=True,
        summary="Habitant·es qui acceptent d'être connu·es dans tout le réseau",
    )
    def shared_members(self, call):
        """Only members whose `share_with_network` consent is current; name and profile, never
        contact details."""
        return self.members_rpc.shared_members(None, call.window)
