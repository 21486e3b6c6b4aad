"""The series of ``bench/quality.py forecast``: public data that ships with installed
packages, ``../shared/data``, and generated series whose structure is written down here.

Each :class:`Case` holds the whole series; its last ``horizon`` steps are the test part.
Horizons follow the M4 competition's by frequency: yearly 6, quarterly 8, monthly 18,
weekly 13, daily 14, hourly 48. ``season`` is the frequency's season (yearly and daily
stock series: 1), used for MASE's scale and the seasonal-naive forecast, and given to
every contender that takes one. Long series keep their last :data:`MAX_TRAIN` training
steps (the cost of a run on a shared 2-core machine).

Sources:

- statsmodels.datasets: nile, sunspots (yearly), co2 (weekly, as monthly means), elnino
  (monthly), macrodata (12 quarterly US series), danish_data (5 quarterly), fertility
  (yearly 1960-2011, the first 20 countries with no gap: two related sets),
  interest_inflation (2 quarterly).
- pmdarima.datasets (data in the wheel): airpassengers, wineind, ausbeer, austres,
  woolyrnq, heartrate, lynx, taylor (half-hourly electricity, season 48), monthly
  sunspots, msft (daily close).
- ../shared/data: the Google stock's daily Open (train and test files joined).
- Generated (seeded): random walks; linear, exponential and seasonal trends that leave
  their training range; additive and multiplicative seasonal series; AR(2) cycles;
  hourly series with a daily season; and two related sets (one seasonal shape, or one
  AR(2) law, at different levels and scales) for the global model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
MAX_TRAIN = 1000
H = {"yearly": 6, "quarterly": 8, "monthly": 18, "weekly": 13, "daily": 14, "hourly": 48}
M = {"yearly": 1, "quarterly": 4, "monthly": 12, "weekly": 1, "daily": 1, "hourly": 24}


@dataclass
class Case:
    name: str
    values: np.ndarray
    freq: str
    kind: str  # real, random-walk, trend, seasonal, multiplicative, cyclic, hourly
    group: str | None = None  # a related set, for the global model
    season: int = 0
    horizon: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        self.values = values[np.isfinite(values)]  # ausbeer ends in a missing quarter
        self.season = self.season or M[self.freq]
        self.horizon = self.horizon or H[self.freq]
        keep = MAX_TRAIN + self.horizon
        self.values = self.values[-keep:]

    @property
    def train(self) -> np.ndarray:
        return self.values[: -self.horizon]

    @property
    def test(self) -> np.ndarray:
        return self.values[-self.horizon :]

    @property
    def leaves_range(self) -> bool:
        """Whether the test part goes beyond the training part's range."""
        return bool(self.test.max() > self.train.max() or self.test.min() < self.train.min())


def _statsmodels() -> list[Case]:
    import importlib

    def load(name: str) -> pd.DataFrame:
        return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data

    cases = [
        Case("sm-nile", load("nile")["volume"], "yearly", "real"),
        Case("sm-sunspots", load("sunspots")["SUNACTIVITY"], "yearly", "cyclic"),
        Case(
            "sm-co2",
            load("co2")["co2"].resample("MS").mean().interpolate().to_numpy(),
            "monthly",
            "trend",
        ),
        Case("sm-elnino", load("elnino").iloc[:, 1:].to_numpy().ravel(), "monthly", "seasonal"),
        Case("sm-elec-equip", load("elec_equip").iloc[:, 0], "monthly", "multiplicative"),
    ]
    macro = load("macrodata")
    for col in ("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1",
                "tbilrate", "unemp", "pop", "infl", "realint"):  # fmt: skip
        cases.append(Case(f"sm-macro-{col}", macro[col], "quarterly", "real"))
    danish = load("danish_data")
    cases += [Case(f"sm-danish-{c}", danish[c], "quarterly", "real") for c in danish.columns]
    rates = load("interest_inflation")
    cases += [Case(f"sm-interest-{c}", rates[c], "quarterly", "real") for c in ("Dp", "R")]
    fert = load("fertility")
    years = [c for c in fert.columns if c.isdigit() and fert[c].notna().sum() > 150]
    whole = fert.dropna(subset=years)
    whole = whole[whole["Country Code"].str.fullmatch("[A-Z]{3}")].head(20)
    for i, (_, row) in enumerate(whole.iterrows()):
        group = "fertility-a" if i < 10 else "fertility-b"
        cases.append(Case(f"sm-fertility-{row['Country Code']}", row[years].to_numpy(float),
                          "yearly", "real", group=group))  # fmt: skip
    return cases


def _pmdarima() -> list[Case]:
    from pmdarima import datasets as d

    msft = d.load_msft()
    return [
        Case("pm-airpassengers", d.load_airpassengers(), "monthly", "multiplicative"),
        Case("pm-wineind", d.load_wineind(), "monthly", "seasonal"),
        Case("pm-ausbeer", d.load_ausbeer(), "quarterly", "seasonal"),
        Case("pm-austres", d.load_austres(), "quarterly", "trend"),
        Case("pm-woolyrnq", d.load_woolyrnq(), "quarterly", "seasonal"),
        Case("pm-heartrate", d.load_heartrate(), "daily", "real"),
        Case("pm-lynx", d.load_lynx(), "yearly", "cyclic"),
        Case("pm-taylor", d.load_taylor(), "hourly", "hourly", season=48),
        Case("pm-sunspots-monthly", d.load_sunspots(), "monthly", "cyclic", season=1),
        Case("pm-msft", msft["Close"].to_numpy(), "daily", "random-walk"),
    ]


def _google() -> list[Case]:
    folder = DATA / "google-stock-price"
    train = pd.read_csv(folder / "Google_Stock_Price_Train.csv")["Open"]
    test = pd.read_csv(folder / "Google_Stock_Price_Test.csv")["Open"]
    return [Case("google-open", np.r_[train.to_numpy(), test.to_numpy()], "daily",
                 "random-walk", horizon=20)]  # fmt: skip


def _ar2(rng: np.random.Generator, n: int, period: float, r: float = 0.95) -> np.ndarray:
    """An AR(2) cycle: complex roots of modulus ``r`` and argument 2 pi / ``period``."""
    a1, a2 = 2 * r * np.cos(2 * np.pi / period), -(r**2)
    x = np.zeros(n + 100)
    for t in range(2, n + 100):
        x[t] = a1 * x[t - 1] + a2 * x[t - 2] + rng.normal()
    return x[100:]


def _generated() -> list[Case]:
    rng = np.random.default_rng(17)
    cases: list[Case] = []
    walks = [(300, "daily"), (600, "daily"), (120, "monthly"), (80, "quarterly"),
             (1000, "daily"), (200, "weekly")] * 2  # fmt: skip
    for i, (n, freq) in enumerate(walks):
        level = rng.uniform(10, 1000)  # a Gaussian random walk, no drift
        cases.append(Case(f"gen-random-walk-{i}", level + np.cumsum(rng.normal(0, 1, n)),
                          freq, "random-walk", season=1))  # fmt: skip
    t = np.arange(240.0)
    cases += [
        Case("gen-trend-line", 50 + 0.8 * t + rng.normal(0, 3, 240), "monthly", "trend"),
        Case("gen-trend-steep", 5 + 4 * t[:150] + rng.normal(0, 12, 150), "quarterly", "trend"),
        Case("gen-trend-exp", 20 * 1.01**t + rng.normal(0, 0.5, 240), "monthly", "trend"),
        Case(
            "gen-trend-seasonal",
            100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, 240),
            "monthly",
            "trend",
        ),
        Case("gen-trend-drift-walk", np.cumsum(1.0 + rng.normal(0, 1, 500)), "daily", "trend"),
        Case("gen-trend-down", 500 - 1.5 * t + rng.normal(0, 4, 240), "monthly", "trend"),
    ]
    for i, (n, m, freq) in enumerate([(240, 12, "monthly"), (120, 4, "quarterly"),
                                      (400, 7, "daily")]):  # fmt: skip
        s = np.arange(n)
        y = 30 + 8 * np.sin(2 * np.pi * s / m) + 3 * np.cos(4 * np.pi * s / m)
        cases.append(Case(f"gen-seasonal-{i}", y + rng.normal(0, 1.5, n), freq, "seasonal",
                          season=m))  # fmt: skip
    for i, growth in enumerate([1.004, 1.008, 1.012, 1.0, 1.006, 1.01]):
        s = np.arange(240)
        y = 100 * growth**s * (1 + 0.25 * np.sin(2 * np.pi * s / 12)) * rng.lognormal(0, 0.03, 240)
        cases.append(Case(f"gen-multiplicative-{i}", y, "monthly", "multiplicative"))
    for i, period in enumerate([8.0, 10.0, 20.0]):
        cases.append(Case(f"gen-cyclic-{i}", 50 + 5 * _ar2(rng, 300, period), "yearly",
                          "cyclic"))  # fmt: skip
    for i in range(3):
        s = np.arange(24 * 60)
        day = np.sin(2 * np.pi * s / 24) + 0.4 * np.sin(4 * np.pi * s / 24 + i)
        week = 0.3 * (((s // 24) % 7) >= 5)
        y = 10 + (i + 1) * (day - week) + 0.2 * _ar2(rng, len(s), 50, 0.9) / 5
        cases.append(Case(f"gen-hourly-{i}", y + rng.normal(0, 0.2, len(s)), "hourly",
                          "hourly"))  # fmt: skip
    shape = np.sin(2 * np.pi * np.arange(96) / 12) + 0.5 * np.sin(4 * np.pi * np.arange(96) / 12)
    for i in range(8):  # one seasonal shape, different levels, scales and trends; short
        level, scale = rng.uniform(20, 2000), rng.uniform(1, 100)
        y = level + scale * (shape + 0.02 * (i - 4) * np.arange(96) / 12)
        cases.append(Case(f"gen-related-seasonal-{i}", y + scale * rng.normal(0, 0.3, 96),
                          "monthly", "seasonal", group="related-seasonal"))  # fmt: skip
    for i in range(8):  # one AR(2) law, different levels and scales; short
        level, scale = rng.uniform(0, 500), rng.uniform(1, 50)
        cases.append(Case(f"gen-related-cycle-{i}", level + scale * _ar2(rng, 60, 9.0),
                          "yearly", "cyclic", group="related-cycle"))  # fmt: skip
    for i in range(8):  # one law (a trend with a season of 4), different slopes and levels
        level, slope = rng.uniform(50, 5000), rng.uniform(0.2, 20)
        s = np.arange(40)
        y = level + slope * (s + 3 * np.sin(2 * np.pi * s / 4) + rng.normal(0, 1, 40))
        cases.append(Case(f"gen-related-trend-{i}", y, "quarterly", "trend",
                          group="related-trend"))  # fmt: skip
    return cases


def all_cases() -> list[Case]:
    """Every series of the suite, in a fixed order."""
    return _statsmodels() + _pmdarima() + _google() + _generated()
