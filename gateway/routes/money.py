"""A producer on consignment reads its monthly statement through its API key: what the hub sold of
its goods in each village (till and orders), the commission, the amount due; as JSON, as the PDF it
keeps, or as the CSV its accountant reads (services/partners/consignment.py)."""

from werkzeug.wrappers import Response

from gateway.console import money_documents
from gateway.routing import PARTNER, route
from services.partners.schemas.money import StatementOutput

_STATEMENT = "/api/partner/statements/<month>"


def _file(body: bytes, mimetype: str, name: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


class MoneyRoutes:
    @route(
        "GET",
        _STATEMENT,
        summary="Mon relevé de dépôt-vente du mois (AAAA-MM)",
        tag="partenaires",
        roles=PARTNER,
        response=StatementOutput,
        errors=(400,),
    )
    def own_statement(self, call):
        """Per village: quantities and amounts sold at the till (refunds deducted in their month)
        and in orders handed over that month, the hub's commission and the amount due; amounts in
        cents, VAT included."""
        return self.partners_rpc.consignment_statement(call.principal.id, call.params["month"])

    @route(
        "GET",
        _STATEMENT + "/pdf",
        summary="Mon relevé de dépôt-vente du mois, en PDF",
        tag="partenaires",
        roles=PARTNER,
        errors=(400,),
    )
    def own_statement_pdf(self, call):
        from gateway.console import money_pdf  # fpdf2 and its fonts: imported on first use

        statement = self.partners_rpc.consignment_statement(call.principal.id, call.params["month"])
        return _file(
            money_pdf.statement_pdf(statement),
            "application/pdf",
            f"releve-depot-vente-{statement['month']}.pdf",
        )

    @route(
        "GET",
        _STATEMENT + "/csv",
        summary="Mon relevé de dépôt-vente du mois, en CSV (pour la comptabilité)",
        tag="partenaires",
        roles=PARTNER,
        errors=(400,),
    )
    def own_statement_csv(self, call):
        statement = self.partners_rpc.consignment_statement(call.principal.id, call.params["month"])
        return _file(
            money_documents.statements_csv([statement]),
            "text/csv",
            f"releve-depot-vente-{statement['month']}.csv",
        )
