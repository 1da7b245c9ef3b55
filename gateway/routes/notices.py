"""Routes about notices (members service): the concierge's list "à prévenir" — members to tell
that an animation was cancelled, by SMS or e-mail (sent by the service) or by a call the
concierge makes and marks done.

The list names people with their phone and e-mail: it is for the concierge of the village only
(the coordinator sees aggregates, not personal data: 403, as for the members' routes)."""
from gateway.routing import route
from services.members.schemas.notices import NoticeDoneInput, NoticeOutput


class NoticeRoutes:
    @route("GET", "/api/villages/<village_id>/notices", tag="notices", roles=("concierge",), scope="path:village_id",
           response=NoticeOutput, many=True,
           summary="À prévenir : les habitant·es à informer (?status=to_send, sent ou done)")
    def list_notices(self, call):
        """Calls to make first. SMS and e-mails go out by themselves (no real gateway is plugged in
        yet: they are written to the notices outbox file)."""
        status = call.request.args.get("status")
        return self.members_rpc.list_notices(call.params["village_id"], {"status": status} if status else {})

    @route("POST", "/api/villages/<village_id>/notices/<notice_id>/done", tag="notices", roles=("concierge",),
           scope="path:village_id", body=NoticeDoneInput, response=NoticeOutput, errors=(404, 409),
           summary="J'ai appelé : la personne est prévenue")
    def mark_notice_done(self, call):
        """Only a call (409 for an SMS or e-mail), once (409)."""
        return self.members_rpc.mark_notice_done(call.params["village_id"], call.params["notice_id"])
