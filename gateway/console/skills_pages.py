"""The network's skills list, the coordinator's to keep (back-office, « Réseau » tab): add a skill,
rename it or move it to another category, retire it (and bring it back). The needs asked for at
the counters that the list does not hold (from the network's skills map) come first, each with
its « Ajouter à la liste ». Retiring is undone by adding the skill again: no confirmation step."""

from __future__ import annotations

from backbone.errors import Conflict, InvalidInput, NotFound
from gateway import skills
from gateway.console.framework import COORDINATOR, filled, form_errors, page, redirect
from services.members.schemas.volunteers import CATEGORY_LABELS

R = "/console/coordination/competences"


class SkillPages:
    @page(R, methods="GET,POST", roles=COORDINATOR)
    def page_network_skills(self, ctx):
        errors, values, action = {}, {}, ctx.form.get("action")
        if ctx.request.method == "POST":
            code = (ctx.form.get("code") or "").strip()
            values = {
                "code": code,
                "label": (ctx.form.get("label") or "").strip(),
                "category": (ctx.form.get("category") or "").strip(),
            }
            try:
                if action == "add":
                    self.members_rpc.add_skill(filled(values))
                elif action == "rename":
                    self.members_rpc.rename_skill(
                        code, filled({k: values[k] for k in ("label", "category")})
                    )
                elif action == "retire":
                    self.members_rpc.retire_skill(code)
                else:
                    errors = {"_": "Choisissez une action."}
                if not errors:
                    skills.forget()
                    return redirect(f"{R}?fait={action}#{code or 'liste'}")
            except (InvalidInput, Conflict, NotFound) as exc:
                errors = form_errors(exc)
        every = self.members_rpc.list_skills(include_retired=True)
        lines = self.members_rpc.skills_map()["skills"]
        return ctx.render(
            "backoffice/skills.html",
            listed=[s for s in every if not s.get("retired_at")],
            retired=[s for s in every if s.get("retired_at")],
            outside=[line for line in lines if not line.get("listed", True)],
            categories=CATEGORY_LABELS,
            action=action,
            done=ctx.args.get("fait"),
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )
