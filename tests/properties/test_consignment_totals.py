"""A producer's statement (services/partners/consignment.py), pure, under random sales
(hypothesis): its totals are the sums of its sales, its villages' commissions add up to the
commission of the total exactly, each within a cent of its exact share, and what is due is what was
sold less the commission, village by village and in total."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from services.partners import consignment

VILLAGES = [f"v{n}" for n in range(6)]

sales_rows = st.lists(
    st.tuples(
        st.just("p"),
        st.sampled_from(VILLAGES),
        st.sampled_from(consignment.CHANNELS),
        st.integers(-20, 200),  # refunds make a month's row negative at times
        st.integers(-50_000, 2_000_000),
    ),
    max_size=30,
)


@given(sales_rows, st.integers(0, 1000))
def test_a_statements_totals_are_the_sums_of_its_sales(rows, per_mille):
    partner = {"id": "p", "name": "Ferme", "siret": None, "commission_per_mille": per_mille}
    result = consignment.build_statement(partner, "2026-11", rows, {})
    totals, villages = result["totals"], result["villages"]
    assert totals["sold_cents"] == sum(r[4] for r in rows)
    assert totals["quantity"] == sum(r[3] for r in rows)
    for channel in consignment.CHANNELS:
        assert totals[f"{channel}_cents"] == sum(r[4] for r in rows if r[2] == channel)
    exact_total = Fraction(totals["sold_cents"] * per_mille, 1000)
    assert abs(totals["commission_cents"] - exact_total) <= Fraction(1, 2)
    assert totals["commission_cents"] == sum(v["commission_cents"] for v in villages)
    for village in villages:
        exact = Fraction(village["sold_cents"] * per_mille, 1000)
        assert abs(village["commission_cents"] - exact) < 1
        assert village["due_cents"] == village["sold_cents"] - village["commission_cents"]
        assert village["sold_cents"] == sum(r[4] for r in rows if r[1] == village["village_id"])
    assert totals["due_cents"] == totals["sold_cents"] - totals["commission_cents"]


@given(st.fractions(min_value=-10_000, max_value=10_000))
def test_rounding_goes_to_the_nearest_cent_a_half_away_from_zero(value):
    rounded = consignment.round_half_away(value)
    assert abs(rounded - value) <= Fraction(1, 2)
    if abs(rounded - value) == Fraction(1, 2):
        assert abs(rounded) > abs(value)


def _commissions_in_fractions(amounts, per_mille):
    """The villages' commissions as first written, in Fractions: the reference."""
    shares = [Fraction(a * per_mille, 1000) for a in amounts]
    total = consignment.round_half_away(Fraction(sum(amounts) * per_mille, 1000))
    floors = [s.numerator // s.denominator for s in shares]
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return floors


@given(st.lists(st.integers(-50_000, 2_000_000), max_size=40), st.integers(0, 1000))
def test_the_commissions_in_integers_are_those_in_fractions(amounts, per_mille):
    assert consignment.commissions(amounts, per_mille) == _commissions_in_fractions(
        amounts, per_mille
    )
