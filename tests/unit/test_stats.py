"""Wilson intervals, funnel limits and SPC rules against published and independent values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from clinic import stats


def wilson_reference(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval written out independently (statsmodels' formula)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998) / Wikipedia worked example
        (0, 10, 0.0, 0.2775),
        (1, 8, 0.0224, 0.4709),
        (1, 1, 0.2065, 1.0),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_published_values(k: int, n: int, low: float, high: float) -> None:
    """Wilson 95% limits match published values to 4 decimals and the reference formula."""
    got = stats.wilson(k, n)
    assert got == pytest.approx((low, high), abs=1e-4)
    assert got == pytest.approx(wilson_reference(k, n), abs=1e-12)


def test_wilson_vectorised_and_empty() -> None:
    """Arrays and Series give element-wise limits; n = 0 gives NaN, not an error."""
    low, high = stats.wilson(np.array([81, 0, 0]), np.array([263, 10, 0]))
    assert low[0] == pytest.approx(0.2553, abs=1e-4) and high[1] == pytest.approx(0.2775, abs=1e-4)
    assert math.isnan(low[2]) and math.isnan(high[2])
    s_low, _ = stats.wilson(
        pd.Series([1, 2], index=["a", "b"]), pd.Series([8, 8], index=["a", "b"])
    )
    assert list(s_low.index) == ["a", "b"]
    assert all(math.isnan(x) for x in stats.wilson(0, 0))


def binom_cdf(r: int, n: int, p: float) -> float:
    """P(X <= r) for X ~ Binomial(n, p), summed exactly term by term."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(0, r + 1))


def limit_reference(n: int, p: float, prob: float) -> float:
    """Spiegelhalter's interpolated binomial limit from a hand-rolled quantile search."""
    r = next(r for r in range(n + 1) if binom_cdf(r, n, p) >= prob)
    f_r, f_r1 = binom_cdf(r, n, p), binom_cdf(r - 1, n, p) if r > 0 else 0.0
    alpha = (f_r - prob) / (f_r - f_r1)
    return min(1.0, max(0.0, (r - alpha) / n))


@pytest.mark.parametrize("n", [5, 20, 57, 100, 400])
@pytest.mark.parametrize("prob", [0.001, 0.025, 0.975, 0.999])
def test_funnel_limits_match_independent_quantiles(n: int, prob: float) -> None:
    """Funnel limits equal the interpolated quantile computed from exact binomial sums."""
    p = 0.08
    assert stats.binomial_limit(n, p, prob) == pytest.approx(limit_reference(n, p, prob), abs=1e-9)


def test_funnel_curve_shape() -> None:
    """The curve narrows as n grows and 99.8% limits enclose 95% limits."""
    c = stats.funnel_curve(0.1, 1000, points=50)
    assert list(c.columns) == ["n", "lo95", "hi95", "lo998", "hi998"]
    assert (c.lo998 <= c.lo95).all() and (c.hi95 <= c.hi998).all()
    assert c.hi95.iloc[-1] < c.hi95.iloc[5]


def test_funnel_signal_levels() -> None:
    """Beyond 99.8% wins over 95%; inside both is None."""
    assert stats.funnel_signal(0.9, 0.1, 0.3, 0.05, 0.4) == "above 99.8%"
    assert stats.funnel_signal(0.35, 0.1, 0.3, 0.05, 0.4) == "above 95%"
    assert stats.funnel_signal(0.07, 0.1, 0.3, 0.05, 0.4) == "below 95%"
    assert stats.funnel_signal(0.01, 0.1, 0.3, 0.05, 0.4) == "below 99.8%"
    assert stats.funnel_signal(0.2, 0.1, 0.3, 0.05, 0.4) is None
    assert stats.funnel_signal(float("nan"), 0.1, 0.3, 0.05, 0.4) is None


def test_p_chart_limits() -> None:
    """Centre = 10/200 = 0.05; ucl(n=100) = 0.05 + 3*sqrt(0.05*0.95/100); lcl clipped to 0."""
    chart = stats.p_chart([4, 6], [100, 100])
    assert chart.centre.tolist() == [0.05, 0.05]
    assert chart.ucl[0] == pytest.approx(0.05 + 3 * math.sqrt(0.05 * 0.95 / 100))
    assert chart.lcl[0] == 0.0


def signals(values: list[float]) -> list[str | None]:
    """SPC signals with centre 0.5, sigma 0.1, limits 0.2..0.8."""
    return stats.spc_signals(values, 0.5, 0.1, 0.2, 0.8)


def test_spc_outside_limits() -> None:
    """A point beyond a control limit signals alone."""
    assert signals([0.5, 0.9, 0.45, 0.1]) == [None, "outside limits", None, "outside limits"]


def test_spc_run_of_seven() -> None:
    """Seven points above the centre signal; six do not; a point on the centre breaks a run."""
    assert signals([0.55, 0.52, 0.6, 0.51, 0.58, 0.53, 0.56]) == ["run of 7"] * 7
    assert signals([0.55, 0.52, 0.6, 0.51, 0.58, 0.53]) == [None] * 6
    assert signals([0.55, 0.52, 0.6, 0.5, 0.51, 0.58, 0.53, 0.56]) == [None] * 8


def test_spc_trend_of_seven() -> None:
    """Seven strictly increasing points across the centre signal a trend; a tie breaks it."""
    up = [0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65]
    assert signals(up) == ["trend of 7"] * 7
    assert signals(up[::-1]) == ["trend of 7"] * 7
    tie = [0.35, 0.4, 0.45, 0.45, 0.55, 0.6, 0.65]
    assert signals(tie) == [None] * 7


def test_spc_two_of_three_near_limit() -> None:
    """Two of three points beyond 2 sigma on the same side signal; opposite sides do not."""
    assert signals([0.5, 0.75, 0.45, 0.72, 0.5]) == [
        None,
        "2 of 3 near limit",
        None,
        "2 of 3 near limit",
        None,
    ]
    assert signals([0.5, 0.75, 0.45, 0.25, 0.5]) == [None] * 5


def test_spc_empty_months_break_rules() -> None:
    """NaN points never signal and interrupt runs."""
    values = [0.55, 0.52, 0.6, float("nan"), 0.51, 0.58, 0.53, 0.56]
    assert signals(values) == [None] * 8
