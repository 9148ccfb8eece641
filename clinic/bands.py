"""Published frequency bands of side effects beside the clinic's own rates.

The bands and their citations are data (clinic/data/published_bands.json), so a newer source is
an edit of that file. Caveat, said wherever they are shown: the literature counts events per
patient under active follow-up, the clinic reported events per session, so its rates read lower
and a rate under a band is no proof of safety (docs/METRICS.md "Published bands").
"""

from __future__ import annotations

import json
from functools import cache

import pandas as pd

from clinic import config, metrics
from clinic.scope import Filters
from clinic.store import Store

CAVEAT = (
    "Published figures count events per patient under active follow-up; ours count reported "
    "events per completed treatment session, so ours read lower. A rate below a band is no proof "
    "of safety: effects a patient never reports are not in it."
)
FORMS = ("liquid", "foam")


@cache
def _data() -> dict:
    """The data file, read once."""
    return json.loads((config.DATA_FILES / "published_bands.json").read_text(encoding="utf-8"))


def _pct(rate: float) -> str:
    """A band's end as a percentage with no trailing zeros: 0.01%, 0.1%, 1%, 10%."""
    return f"{rate * 100:.4f}".rstrip("0").rstrip(".") + "%"


def _words(low: float, high: float, category: str) -> str:
    """A band in words: "frequent (1% to under 10%)", "individual cases (under 0.01%)"."""
    if category.startswith("unclear"):
        return category
    if low == 0:
        return f"{category} (under {_pct(high)})"
    return f"{category} ({_pct(low)} to under {_pct(high)})"


def published() -> pd.DataFrame:
    """Every band: [effect, form, low, high, band, row, source, citation, doi, url]."""
    data = _data()
    rows = []
    for b in data["bands"]:
        low, high = (b["low"], b["high"]) if "low" in b else data["categories"][b["category"]]
        source = data["sources"][b["source"]]
        rows.append(
            {
                "effect": b["effect"],
                "form": b["form"],
                "low": float(low),
                "high": float(high),
                "band": _words(float(low), float(high), b["category"]),
                "row": b["row"],
                "source": source["short"],
                "citation": source["citation"],
                "doi": source["doi"],
                "url": source["url"],
            }
        )
    return pd.DataFrame(rows)


def sources() -> list[dict[str, str]]:
    """The sources the bands cite: [{short, citation, doi, url}]."""
    return list(_data()["sources"].values())


def beside_rates(store: Store, f: Filters) -> pd.DataFrame:
    """Per effect with a published band: our rate with its interval (reports of the effect per
    completed treatment session, all forms) beside the published liquid and foam bands.

    [effect, eligible, events, rate, ci_low, ci_high, liquid, foam, source].
    """
    ours = metrics.complications(store, f, by="effect")
    bands = published()
    wide = {
        form: bands[bands["form"] == form].set_index("effect")["band"].rename(form)
        for form in FORMS
    }
    effects = list(dict.fromkeys(bands["effect"]))
    out = pd.DataFrame({"effect": effects})
    out = out.merge(ours, on="effect", how="left")
    for form in FORMS:
        out[form] = out["effect"].map(wide[form])
    out["source"] = out["effect"].map(bands.drop_duplicates("effect").set_index("effect")["source"])
    # An effect nobody reported has no rate row: 0 events of every completed session in range.
    sessions = int(metrics.complications(store, f)["eligible"].iloc[0])
    out["eligible"] = out["eligible"].fillna(sessions)
    out["events"] = out["events"].fillna(0)
    return metrics._with_rate(out, "events")[
        ["effect", "eligible", "events", "rate", "ci_low", "ci_high", *FORMS, "source"]
    ]
