"""Published bands: a data file whose every band names a known effect, a form and a cited
source; shown beside the clinic's own per-session rate of that effect."""

from __future__ import annotations

import pytest

from clinic import bands
from clinic import metrics as m
from clinic.store import Store
from tests.unit.test_metrics import appt, report, seed_prices


def test_every_band_is_a_known_effect_with_a_cited_source(store: Store) -> None:
    """Effects are terms of the store's vocabulary; forms liquid or foam; 0 <= low < high <= 1;
    each source has a citation, a DOI and a link."""
    terms = {r[0] for r in store.rows("select effect from effect_terms")}
    df = bands.published()
    assert set(df["effect"]) <= terms
    assert set(df["form"]) == {"liquid", "foam"}
    assert ((df["low"] >= 0) & (df["low"] < df["high"]) & (df["high"] <= 1)).all()
    assert not df.duplicated(["effect", "form"]).any()
    for source in bands.sources():
        assert source["citation"] and source["doi"].startswith("10.")
        assert source["url"].startswith("https://")


@pytest.mark.parametrize(
    ("effect", "form", "band"),
    [
        ("hyperpigmentation", "foam", "frequent (1% to under 10%)"),
        ("deep vein thrombosis", "liquid", "rare (0.01% to under 0.1%)"),
        ("deep vein thrombosis", "foam", "occasional (0.1% to under 1%)"),
        ("pulmonary embolism", "foam", "individual cases (under 0.01%)"),
        ("superficial thrombophlebitis", "liquid", "unclear: 0% to 45.8% reported, mean 4.7%"),
    ],
)
def test_bands_in_words(effect: str, form: str, band: str) -> None:
    """The guideline's categories read as ranges (table 1 of the S2k guideline)."""
    df = bands.published().set_index(["effect", "form"])
    assert df.loc[(effect, form), "band"] == band


def test_our_rate_beside_the_band(store: Store) -> None:
    """Four sessions, one hyperpigmentation report: 1 of 4 beside "frequent"; DVT 0 of 4."""
    seed_prices(store)
    for i in range(4):
        appt(store, f"S{i}", "2024-01-10", f"P{i}")
    report(store, "E1", "S0", "hyperpigmentation")
    df = bands.beside_rates(store, m.Filters()).set_index("effect")
    row = df.loc["hyperpigmentation"]
    assert (row["eligible"], row["events"], row["rate"]) == (4, 1, 0.25)
    assert row["foam"] == "frequent (1% to under 10%)"
    assert (df.loc["deep vein thrombosis", "events"], df.loc["deep vein thrombosis", "rate"]) == (
        0,
        0.0,
    )
    assert "bruising" not in df.index  # no published band: not listed
