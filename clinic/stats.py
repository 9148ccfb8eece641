"""Interval and control-limit statistics: Wilson score intervals, funnel limits, p-charts."""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959964
RUN = 7  # Making Data Count: a run or trend of 7 points is a signal.


def wilson(events, n, z: float = Z95):
    """Wilson score interval (low, high) for events/n; NaN where n == 0; vectorised."""
    k = np.asarray(events, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
        low = np.where(m > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(m > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # Exact ends: 0 events has low 0, all events has high 1 (no rounding fuzz).
    low = np.where((m > 0) & (k == 0), 0.0, low)
    high = np.where((m > 0) & (k == m), 1.0, high)
    if np.ndim(low) == 0:
        return float(low), float(high)
    if isinstance(events, pd.Series):
        return pd.Series(low, index=events.index), pd.Series(high, index=events.index)
    return low, high


def rate(events, n):
    """events / n as a float (or array), NaN where n == 0."""
    k = np.asarray(events, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(m > 0, k / m, np.nan)
    return float(out) if np.ndim(out) == 0 else out


def binomial_limit(n, p: float, prob: float):
    """Funnel-plot limit for a proportion at cumulative probability `prob` (Spiegelhalter 2005).

    The binomial quantile r = binom.ppf(prob, n, p) is interpolated so the limit is a smooth
    function of n: alpha = (F(r) - prob) / (F(r) - F(r - 1)), limit = (r - alpha) / n.
    """
    # Imported here: scipy.stats takes most of a second to import, and only the funnel plot
    # needs it, so the dashboard's first page does not wait for it.
    from scipy.stats import binom

    m = np.asarray(n, dtype=float)
    r = binom.ppf(prob, m, p)
    f_r = binom.cdf(r, m, p)
    f_r1 = binom.cdf(r - 1, m, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(f_r > f_r1, (f_r - prob) / (f_r - f_r1), 0.0)
        out = np.where(m > 0, np.clip((r - alpha) / m, 0.0, 1.0), np.nan)
    return float(out) if np.ndim(out) == 0 else out


def funnel_limits(n, p: float) -> dict[str, np.ndarray]:
    """95% and 99.8% two-sided funnel limits around overall rate p for denominators n."""
    return {
        "lo95": binomial_limit(n, p, 0.025),
        "hi95": binomial_limit(n, p, 0.975),
        "lo998": binomial_limit(n, p, 0.001),
        "hi998": binomial_limit(n, p, 0.999),
    }


def funnel_curve(p: float, n_max: int, points: int = 200) -> pd.DataFrame:
    """Funnel limits along n = 1..n_max for drawing: [n, lo95, hi95, lo998, hi998]."""
    n = np.unique(np.linspace(1, max(int(n_max), 1), points).round().astype(int))
    if not np.isfinite(p):
        nan = np.full(len(n), np.nan)
        return pd.DataFrame({"n": n, "lo95": nan, "hi95": nan, "lo998": nan, "hi998": nan})
    return pd.DataFrame({"n": n, **funnel_limits(n, p)})


def funnel_signal(value: float, lo95: float, hi95: float, lo998: float, hi998: float) -> str | None:
    """Which funnel limit a rate lies beyond, if any."""
    if value is None or not np.isfinite(value):
        return None
    if value > hi998:
        return "above 99.8%"
    if value < lo998:
        return "below 99.8%"
    if value > hi95:
        return "above 95%"
    if value < lo95:
        return "below 95%"
    return None


def p_chart(events, n) -> pd.DataFrame:
    """p-chart per period: [rate, centre, sigma, lcl, ucl], centre = p-bar over all periods."""
    k = np.asarray(events, dtype=float)
    m = np.asarray(n, dtype=float)
    total = m.sum()
    centre = k.sum() / total if total > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(m > 0, np.sqrt(centre * (1 - centre) / m), np.nan)
    return pd.DataFrame(
        {
            "rate": rate(k, m) if len(m) else np.array([]),
            "centre": np.full(len(m), centre),
            "sigma": sigma,
            "lcl": np.clip(centre - 3 * sigma, 0.0, 1.0),
            "ucl": np.clip(centre + 3 * sigma, 0.0, 1.0),
        }
    )


def spc_signals(values, centre, sigma, lcl, ucl) -> list[str | None]:
    """NHS Making Data Count signal per point (first matching rule wins, in this order).

    "outside limits": beyond a control limit; "run of 7": part of 7+ consecutive points on one
    side of the centre (a point on the centre breaks a run); "trend of 7": part of 7+ consecutive
    points each strictly above (or below) the previous one; "2 of 3 near limit": a point beyond
    2 sigma that, with another point within 3 consecutive points, lies beyond 2 sigma on the
    same side. NaN points (no eligible sessions) break runs and never signal.
    """
    v = np.asarray(values, dtype=float)
    c = np.broadcast_to(np.asarray(centre, dtype=float), v.shape)
    s = np.broadcast_to(np.asarray(sigma, dtype=float), v.shape)
    lo = np.broadcast_to(np.asarray(lcl, dtype=float), v.shape)
    hi = np.broadcast_to(np.asarray(ucl, dtype=float), v.shape)
    size = len(v)
    ok = np.isfinite(v)
    outside = ok & ((v > hi) | (v < lo))
    side = np.where(ok, np.sign(v - c), 0)
    run = np.zeros(size, bool)
    _mark_runs(run, [int(x) for x in side], lambda a, b: a != 0 and a == b, RUN)
    steps = [0] + [
        int(np.sign(v[i] - v[i - 1])) if ok[i] and ok[i - 1] else 0 for i in range(1, size)
    ]
    trend = np.zeros(size, bool)
    # A trend of 7 points is 6 consecutive steps in the same direction.
    for i in range(1, size):
        if steps[i] == 0:
            continue
        j = i
        while j + 1 < size and steps[j + 1] == steps[i]:
            j += 1
        if j - i + 2 >= RUN:
            trend[i - 1 : j + 1] = True
    near = np.zeros(size, bool)
    with np.errstate(invalid="ignore"):
        beyond = np.where(ok & (np.abs(v - c) > 2 * s), side, 0)
    for i in range(size):
        window = beyond[i : i + 3]
        for direction in (1, -1):
            if (window == direction).sum() >= 2:
                near[i : i + 3] |= window == direction
    out: list[str | None] = []
    for i in range(size):
        if outside[i]:
            out.append("outside limits")
        elif run[i]:
            out.append("run of 7")
        elif trend[i]:
            out.append("trend of 7")
        elif near[i]:
            out.append("2 of 3 near limit")
        else:
            out.append(None)
    return out


def _mark_runs(mark: np.ndarray, seq: list[int], same, length: int) -> None:
    """Set mark[i] for every element of a maximal run of `same` neighbours of at least `length`."""
    i = 0
    while i < len(seq):
        j = i
        while j + 1 < len(seq) and same(seq[i], seq[j + 1]):
            j += 1
        if same(seq[i], seq[i]) and j - i + 1 >= length:
            mark[i : j + 1] = True
        i = j + 1
