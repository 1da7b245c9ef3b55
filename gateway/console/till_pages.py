"""The hub's till in the concierge's console (orders service: services/orders/till.py, stock.py):
« Caisse » (a sale: items, quantities, payment, the change shown on the receipt), the receipt
(printable), « Remboursement » (lines given back with a reason, after a confirmation), « Clôture du
jour » (Z: the day's totals, the cash counted against the expected), « Stock » (the shelf, what
runs low, what reaches its use-by date, movements). The concierge's own village only (403
elsewhere, the coordinator included: a till is worked at the counter)."""

from __future__ import annotations

from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from gateway.console.form_values import cents, whole_number
from gateway.console.framework import CONCIERGE, filled, form_errors, page, redirect
from services.orders.schemas.till import MOVEMENT_KINDS, MOVEMENT_LABELS, PAYMENT_LABELS

V = "/console/villages/<village_id>"
TILL = V + "/caisse"


def _line_errors(problems, keys: list[str], prefix: str) -> dict:
    """Line errors (French) beside the quantity of the line they are about."""
    out = {}
    if not isinstance(problems, dict):
        return out
    for index, problem in problems.items():
        if str(index).isdigit() and int(index) < len(keys) and isinstance(problem, dict):
            messages = form_errors(InvalidInput(problem, problem))
            out[f"{prefix}{keys[int(index)]}"] = " ".join(
                v for k, v in messages.items() if k != "_"
            )
    return out


def _quantities(form, keys, prefix: str) -> list[tuple[str, object]]:
    """(key, quantity as typed) for every quantity field filled in with something other than 0."""
    chosen = []
    for key in keys:
        raw = (form.get(f"{prefix}{key}") or "").strip()
        if raw and raw != "0":
            # "-2" read as -2: the service answers with the quantity's own message
            negative = raw.startswith("-") and raw[1:].isascii() and raw[1:].isdigit()
            chosen.append((key, -int(raw[1:]) if negative else whole_number(raw)))
    return chosen


class TillPages:
    @page(TILL, methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_till(self, ctx):
        village_id = ctx.params["village_id"]
        member_id = (ctx.request.values.get("member_id") or "").strip() or None
        member = None
        if member_id:
            try:
                member = self.members_rpc.get_member(village_id, member_id)
            except NotFound:
                member_id = None
        items = self.orders_rpc.till_items(village_id, member_id)
        errors, values = {}, {}
        if ctx.request.method == "POST":
            chosen = _quantities(ctx.form, [i["item_id"] for i in items], "qty-")
            values = {
                k: ctx.form.get(k, "") for k in ("cash", "card", "cheque", "voucher", "email")
            }
            payments = []
            for method in PAYMENT_LABELS:
                amount = cents(values[method])
                if amount not in (None, 0):
                    payments.append({"method": method, "amount_cents": amount})
            data = filled(
                {
                    "idempotency_key": ctx.form_key(),
                    "member_id": member_id,
                    "email": values["email"].strip(),
                }
            )
            data["lines"] = [{"item_id": key, "quantity": q} for key, q in chosen]
            data["payments"] = payments
            values["lines"] = dict(chosen)
            try:
                sale = self.orders_rpc.record_sale(village_id, data)
                return redirect(f"/console/villages/{village_id}/caisse/ventes/{sale['id']}")
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
                if isinstance(exc, InvalidInput):
                    errors.update(
                        _line_errors(
                            exc.errors_fr.get("lines"), [key for key, _q in chosen], "qty-"
                        )
                    )
        query = (ctx.args.get("q") or "").strip()
        found = (
            self.members_rpc.search_members(village_id, {"q": query, "limit": 20})
            if query and not member
            else []
        )
        return ctx.render(
            "till/sale.html",
            items=items,
            member=member,
            query=query,
            found=found,
            sales=self.orders_rpc.list_sales(village_id, {}),
            methods=PAYMENT_LABELS,
            errors=errors,
            values=values,
            idempotency_key=ctx.form_key(),
            status=400 if errors else 200,
        )

    @page(TILL + "/ventes/<sale_id>", roles=CONCIERGE, village_scoped=True)
    def page_receipt(self, ctx):
        sale = self.orders_rpc.get_sale(ctx.params["sale_id"], ctx.here)
        member = None
        if sale["member_id"]:
            try:
                member = self.members_rpc.get_member(ctx.params["village_id"], sale["member_id"])
            except NotFound:
                member = None
        return ctx.render(
            "till/receipt.html",
            sale=sale,
            member=member,
            refunded=ctx.args.get("rembourse") == "1",
        )

    @page(TILL + "/ventes/<sale_id>/remboursement", methods="GET,POST", roles=CONCIERGE,
          village_scoped=True)  # fmt: skip
    def page_refund(self, ctx):
        village_id = ctx.params["village_id"]
        sale = self.orders_rpc.get_sale(ctx.params["sale_id"], ctx.here)
        lines = {line["id"]: line for line in sale["lines"]}
        errors, values, confirming = {}, {}, False
        if ctx.request.method == "POST":
            chosen = _quantities(ctx.form, list(lines), "back-")
            values = {
                "method": ctx.form.get("method", ""),
                "reason": ctx.form.get("reason", ""),
                "lines": dict(chosen),
            }
            data = filled(
                {
                    "idempotency_key": ctx.form_key(),
                    "sale_id": sale["id"],
                    "method": values["method"],
                    "reason": values["reason"].strip(),
                }
            )
            data["lines"] = [{"line_id": key, "quantity": q} for key, q in chosen]
            if ctx.form.get("confirm") == "1":
                try:
                    self.orders_rpc.refund_sale(village_id, data)
                    return redirect(
                        f"/console/villages/{village_id}/caisse/ventes/{sale['id']}?rembourse=1"
                    )
                except (InvalidInput, Conflict) as exc:
                    errors = form_errors(exc)
                    if isinstance(exc, InvalidInput):
                        errors.update(
                            _line_errors(
                                exc.errors_fr.get("lines"), [key for key, _q in chosen], "back-"
                            )
                        )
            else:
                errors = self._refund_first_look(data, lines)
                confirming = not errors
        amount = sum(
            lines[key]["unit_price_cents"] * q
            for key, q in values.get("lines", {}).items()
            if key in lines and isinstance(q, int)
        )
        return ctx.render(
            "till/refund.html",
            sale=sale,
            methods=PAYMENT_LABELS,
            errors=errors,
            values=values,
            confirming=confirming,
            amount=amount,
            idempotency_key=ctx.form_key(),
            status=400 if errors else 200,
        )

    @staticmethod
    def _refund_first_look(data: dict, lines: dict) -> dict:
        """What the confirmation cannot be asked for (the service checks it all again)."""
        problems = {}
        if not data["lines"]:
            problems["lines"] = [msg("refund_nothing_chosen")]
        for line in data["lines"]:
            sold = lines[line["line_id"]]
            left, quantity = sold["quantity"] - sold["refunded"], line["quantity"]
            if not isinstance(quantity, int) or quantity < 1:
                problems[f"back-{line['line_id']}"] = [msg("quantity_range", max=max(left, 1))]
            elif quantity > left:
                problems[f"back-{line['line_id']}"] = [
                    msg("refund_too_many", item=sold["name"], left=left)
                ]
        if data.get("method") not in PAYMENT_LABELS:
            problems["method"] = [msg("refund_method_missing")]
        if not data.get("reason"):
            problems["reason"] = [msg("reason_missing")]
        return form_errors(InvalidInput(problems)) if problems else {}

    @page(TILL + "/cloture", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_closing(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values = {k: ctx.form.get(k, "") for k in ("counted", "float", "note")}
            data = filled(
                {
                    "counted_cash_cents": cents(values["counted"]),
                    "float_cents": cents(values["float"]),
                    "note": values["note"].strip(),
                }
            )
            try:
                self.orders_rpc.close_till(village_id, data)
                return redirect(f"/console/villages/{village_id}/caisse/cloture")
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
                for field, name in (("counted_cash_cents", "counted"), ("float_cents", "float")):
                    if field in errors:
                        errors[name] = errors.pop(field)
        day = self.orders_rpc.till_day(village_id, {})
        return ctx.render(
            "till/closing.html",
            totals=day["totals"],
            closing=day["closing"],
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )

    @page(V + "/stock", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_stock(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values = {}, {}
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            values = dict(ctx.form.items())
            try:
                if action == "add":
                    self.orders_rpc.add_stock_item(
                        village_id,
                        filled(
                            {
                                "item_id": values.get("item_id", "").strip(),
                                "name": values.get("name", "").strip(),
                                "price_cents": cents(values.get("price")),
                                "vat_rate": whole_number(values.get("vat_rate") or "55"),
                                "low_at": whole_number(values.get("low_at") or "0"),
                            }
                        ),
                    )
                else:
                    stock_item_id = values.get("stock_item_id", "")
                    if not stock_item_id:
                        raise InvalidInput({"stock_item_id": [msg("stock_item_missing")]})
                    self.orders_rpc.record_stock_movement(
                        village_id,
                        stock_item_id,
                        filled(
                            {
                                "kind": values.get("kind", ""),
                                "quantity": whole_number(values.get("quantity")),
                                "reason": values.get("reason", "").strip(),
                                "use_by": values.get("use_by", "").strip(),
                            }
                        ),
                    )
                return redirect(f"/console/villages/{village_id}/stock")
            except (InvalidInput, Conflict, NotFound) as exc:
                errors = form_errors(
                    InvalidInput({"stock_item_id": [msg("stock_item_missing")]})
                    if isinstance(exc, NotFound)
                    else exc
                )
                if "price_cents" in errors:
                    errors["price"] = errors.pop("price_cents")
                errors["form"] = action or "move"
        shelf = self.orders_rpc.list_stock(village_id)
        arrived = self.orders_rpc.receivable_supplier_orders(village_id)
        tracked = {i["item_id"] for i in shelf["items"] if i["item_id"]}
        catalogue = [
            i for i in self.orders_rpc.village_catalogue(village_id, False)
            if i["item_id"] not in tracked
        ]  # fmt: skip
        return ctx.render(
            "till/stock.html",
            shelf=shelf,
            arrived=arrived,
            catalogue=catalogue,
            kinds=[(k, MOVEMENT_LABELS[k]) for k in MOVEMENT_KINDS],
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )

    @page(V + "/stock/commandes-mutualisees/<purchase_order_id>", methods="GET,POST",
          roles=CONCIERGE, village_scoped=True)  # fmt: skip
    def page_stock_from_supplier_order(self, ctx):
        """The goods of a pooled supplier order put on the shelf in one go: the village's share
        prefilled, each quantity editable (0: not put on the shelf)."""
        village_id, purchase_order_id = ctx.params["village_id"], ctx.params["purchase_order_id"]
        receipt = self.orders_rpc.supplier_receipt(village_id, purchase_order_id)
        keys = [line["item_id"] for line in receipt["lines"]]
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values = dict(ctx.form.items())
            lines = []
            for key in keys:
                raw = (ctx.form.get(f"qty-{key}") or "").strip() or "0"  # left empty: none
                negative = raw.startswith("-") and raw[1:].isascii() and raw[1:].isdigit()
                lines.append(
                    {"item_id": key, "quantity": -int(raw[1:]) if negative else whole_number(raw)}
                )
            data = filled({"use_by": values.get("use_by", "").strip()})
            data["lines"] = lines
            try:
                self.orders_rpc.receive_supplier_order(village_id, purchase_order_id, data)
                return redirect(f"/console/villages/{village_id}/stock")
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
                if isinstance(exc, InvalidInput):
                    errors.update(_line_errors(exc.errors_fr.get("lines"), keys, "qty-"))
        return ctx.render(
            "till/supplier_receipt.html",
            receipt=receipt,
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )

    @page(TILL + "/solidaire", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_solidarity(self, ctx):
        """Solidarity prices of the till's items and the inhabitants who may have them (their
        eligibility, as a social partner gave it, until its end date)."""
        village_id = ctx.params["village_id"]
        member_id = (ctx.request.values.get("member_id") or "").strip() or None
        member = None
        if member_id:
            try:
                member = self.members_rpc.get_member(village_id, member_id)
            except NotFound:
                member_id = None
        errors, values = {}, {}
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            values = dict(ctx.form.items())
            try:
                if action == "price":
                    self.orders_rpc.set_solidarity_price(
                        village_id,
                        filled(
                            {
                                "item_id": values.get("item_id", ""),
                                "price_cents": cents(values.get("price")),
                            }
                        ),
                    )
                else:
                    self.orders_rpc.record_eligibility(
                        village_id,
                        filled(
                            {
                                "member_id": member_id,
                                "given_by": values.get("given_by", "").strip(),
                                "ends_on": values.get("ends_on", "").strip(),
                            }
                        ),
                    )
                return redirect(f"/console/villages/{village_id}/caisse/solidaire")
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
                if "price_cents" in errors:
                    errors["price"] = errors.pop("price_cents")
                errors["form"] = action or "eligibility"
        query = (ctx.args.get("q") or "").strip()
        found = (
            self.members_rpc.search_members(village_id, {"q": query, "limit": 20})
            if query and not member
            else []
        )
        return ctx.render(
            "till/solidarity.html",
            items=self.orders_rpc.till_items(village_id, None),
            eligibilities=self.orders_rpc.list_eligibilities(village_id),
            member=member,
            query=query,
            found=found,
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )
