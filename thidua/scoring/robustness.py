"""How much a result depends on the scale's arbitrary numbers: redraw every weight and threshold within ±20%
many times, re-rank, and count how often each competitor keeps its prize rank and its tier."""

import random
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from .core import Standings, intake_points, rank, time_points
from .rules import Scale, Tier

VARIED = tuple(f.name for f in fields(Scale) if f.name != "require_completion")


@dataclass(frozen=True)
class Robustness:
    code: str
    name: str
    prize_rank: int | None
    tier: int | None
    kept_prize_rank: int  # samples in which the prize rank was the same
    kept_tier: int  # samples in which the tier was the same (no tier counts as a tier)
    samples: int

    @property
    def kept_prize_rank_share(self) -> Decimal:
        return Decimal(self.kept_prize_rank) / Decimal(self.samples)

    @property
    def kept_tier_share(self) -> Decimal:
        return Decimal(self.kept_tier) / Decimal(self.samples)


def redraw(scale: Scale, rng: random.Random, spread: int = 200) -> Scale:
    """Return the scale with each number multiplied by a factor drawn in [1 − spread‰, 1 + spread‰] (exact)."""
    values = {name: getattr(scale, name) * Decimal(1000 + rng.randint(-spread, spread)) / Decimal(1000)
              for name in VARIED}
    return replace(scale, **values)


def rescore(standings: Standings, scale: Scale, deadline, tiers: tuple[Tier, ...]) -> dict:
    """Return {code: (prize rank, tier rank)} of the same measured competitors under another scale."""
    measured = []
    for s in standings.rows:
        if s.quota == 0:
            measured.append(s)
            continue
        ip, _ = intake_points(s.attainment, scale)
        tp, _ = time_points(s.completed_on, deadline, scale)
        measured.append(replace(s, intake_points=ip, time_points=tp, total=ip + tp))
    return {s.code: (s.prize_rank, s.tier.rank if s.tier else None) for s in rank(measured, scale, tiers)}


def robustness(standings: Standings, deadline, tiers: tuple[Tier, ...], samples: int = 1000,
               seed: int = 2021) -> tuple[Robustness, ...]:
    """Redraw the scale `samples` times (deterministic for a seed) and count what each competitor keeps."""
    rng = random.Random(seed)
    base = {s.code: (s.prize_rank, s.tier.rank if s.tier else None) for s in standings.rows}
    kept_rank = dict.fromkeys(base, 0)
    kept_tier = dict.fromkeys(base, 0)
    for _ in range(samples):
        result = rescore(standings, redraw(standings.scale, rng), deadline, tiers)
        for code, (prize_rank, tier) in result.items():
            kept_rank[code] += prize_rank == base[code][0]
            kept_tier[code] += tier == base[code][1]
    return tuple(Robustness(s.code, s.name, s.prize_rank, base[s.code][1], kept_rank[s.code], kept_tier[s.code],
                            samples) for s in standings.rows)
