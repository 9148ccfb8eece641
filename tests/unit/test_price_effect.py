"""What a price list re-values (queries/prices_revaluation.sql) and whose kind it changes
(prices_kind_changes.sql), against hand-computed answers, before and after the import."""

from __future__ import annotations

from clinic import ingest, metrics
from clinic.ingest import PriceEffect
from clinic.store import Store

PRICES = (
    b"Item,Kind,Price,Valid From\n"
    b"Single Session,treatment,120,2025-01-01\n"
    b"Single Session,treatment,130,2026-03-01\n"
    b"Compression Socks,product,25,2025-01-01\n"
)
APPOINTMENTS = (
    b"Booking ID,Date,Customer ID,Therapist,Treatment,Status,Amount,Clinic\n"
    b"A1,10/01/2026,C1,Dr Ames,Single Session,Completed,,Ealing\n"
    b"A2,28/02/2026,C2,Dr Ames,Single Session,Completed,,Ealing\n"
    b"A3,01/03/2026,C3,Dr Ames,Single Session,Completed,,Ealing\n"
    b"A4,01/04/2026,C4,Dr Ames,Single Session,Completed,110,Ealing\n"
    b"A5,02/04/2026,C5,Dr Ames,Single Session,Cancelled,,Ealing\n"
    b"A6,10/01/2026,C1,Dr Ames,Compression Socks,Completed,,Ealing\n"
    b"A7,01/05/2026,C6,Dr Ames,Single Session,Completed,,Ealing\n"
)
# A new price from 01/02/2026 re-values A2 (28/02: 120 -> 125); the 01/03/2026 price replaced
# by 140 re-values A3 (on the date of the change) and A7 (130 -> 140 each). A1 keeps 120, A4 has
# a charged price, A5 was cancelled, the socks' price is the same: 3 appointments, +£25.
CHANGES = (
    b"Item,Kind,Price,Valid From\n"
    b"Single Session,treatment,125,01/02/2026\n"
    b"Single Session,treatment,140,2026-03-01\n"
    b"Compression Socks,product,25,2025-01-01\n"
)


def _clinic(store: Store) -> None:
    """The price list and the appointments above, through the importer."""
    for kind, data in (("prices", PRICES), ("appointments", APPOINTMENTS)):
        assert ingest.import_file(store, kind, data, file_name=f"{kind}.csv").status == "committed"


def _total(store: Store) -> float:
    """Revenue over all dates, as every page computes it."""
    return float(metrics.revenue(store, metrics.Filters(), "site")["revenue_gbp"].sum())


def test_revaluation_of_a_price_list_is_the_hand_computed_one(store: Store) -> None:
    """Preview and import both say 3 appointments re-valued by +£25 (£380 -> £405), and the
    revenue every page shows moves by exactly that."""
    _clinic(store)
    expected = PriceEffect(3, 380.0, 405.0, 25.0, ())
    assert ingest.preview(store, "prices", CHANGES, "changes.csv").price_effect == expected
    before = _total(store)
    assert before == 120 + 120 + 130 + 110 + 25 + 130
    result = ingest.import_file(store, "prices", CHANGES, file_name="changes.csv")
    assert result.price_effect == expected
    assert _total(store) - before == 25.0
    # Saved once, the same list re-values nothing more.
    again = ingest.preview(store, "prices", CHANGES, "changes.csv").price_effect
    assert again == PriceEffect(0, 0.0, 0.0, 0.0, ())


def test_a_later_price_changes_nothing_past_and_a_lower_one_says_so(store: Store) -> None:
    """A price from after the last appointment re-values none; a cut is a negative change."""
    _clinic(store)
    later = b"Item,Kind,Price,Valid From\nSingle Session,treatment,150,2026-06-01\n"
    assert ingest.preview(store, "prices", later, "l.csv").price_effect == PriceEffect(
        0, 0.0, 0.0, 0.0, ()
    )
    cut = b"Item,Kind,Price,Valid From\nSingle Session,treatment,100,2026-04-15\n"
    # A7 (01/05/2026) only: 130 -> 100.
    assert ingest.preview(store, "prices", cut, "c.csv").price_effect == PriceEffect(
        1, 130.0, 100.0, -30.0, ()
    )


def test_kind_changes_are_named(store: Store) -> None:
    """Socks saved as a treatment change their kind; a new item and an older row do not."""
    _clinic(store)
    rows = (
        b"Item,Kind,Price,Valid From\n"
        b"Compression Socks,treatment,30,2026-06-01\n"
        b"Single Session,product,90,2024-01-01\n"
        b"Gift Voucher,product,50,2026-06-01\n"
    )
    effect = ingest.preview(store, "prices", rows, "k.csv").price_effect
    assert effect is not None
    assert effect.kind_changes == (("Compression Socks", "product", "treatment"),)
    # The 2024 row comes before every appointment's price: nothing re-valued.
    assert effect.appointments == 0


def test_a_file_with_problems_has_no_effect_to_tell(store: Store) -> None:
    """A price list that cannot be imported re-values nothing, so no effect is computed."""
    _clinic(store)
    bad = b"Item,Kind,Price,Valid From\nSingle Session,treatment,lots,2026-02-01\n"
    assert ingest.preview(store, "prices", bad, "b.csv").price_effect is None
