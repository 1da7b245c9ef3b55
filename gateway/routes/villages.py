"""Routes about villages (members service)."""
from gateway.routing import COORDINATOR, STAFF, route
from services.members.schemas import VillageInput, VillageOutput


class VillageRoutes:
    @route("GET", "/api/villages", summary="Les villages visibles (tous pour la coordination, le sien pour un·e concierge)",
           tag="villages", roles=STAFF, response=VillageOutput, many=True)
    def list_villages(self, call):
        return self.members_rpc.list_villages(call.village_ids)

    @route("POST", "/api/villages", summary="Ouvrir un village dans le réseau", tag="villages",
           roles=COORDINATOR, body=VillageInput, response=VillageOutput, status=201,
           errors=(409,))
    def open_village(self, call):
        """Creates the village (members service) and announces it as `village.opened`."""
        return self.members_rpc.open_village(call.body)

    @route("GET", "/api/villages/<village_id>", summary="Un village", tag="villages",
           roles=STAFF, scope="path:village_id", response=VillageOutput, errors=(404,))
    def get_village(self, call):
        return self.members_rpc.get_village(call.params["village_id"])
