"""Defaults that learn from ratings: a request without sampling options gets one of a few named
presets, picked per guild by Thompson sampling on that guild's ratings (services/bandit.py).

The pick is made once, before admission, and written into the request itself (its `preset`
and the settings the preset stands for), so everything downstream — validation, the log, the
footer, and a request written again after a restart (services/pending.py) — sees one plain
request and never samples again. Its randomness comes from the request's RNG seed, fixed
here if the person gave none, so a test or a replay picks the same preset for the same seed
and the same ratings.

Presets are sampling settings only, not a rhyme scheme: a scheme costs 4–8× the time (best of
8 lines), fails outright on a model that cannot rhyme, and is a choice people make for the
song, so it stays an option that combines with any preset.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from random import Random

from bot.services.bandit import FLOOR, POOL_CAP, Beta, RatingSums, choose, pick_shares, posterior
from bot.services.errors import InvalidRequest
from bot.services.lyrics import LyricsRequest
from bot.storage import NO_GUILD, Database


@dataclass(frozen=True)
class Preset:
    name: str
    temperature: float
    top_p: float
    repetition_penalty: float

    def describe(self) -> str:
        return (
            f"temperature {self.temperature:g} · top_p {self.top_p:g} · "
            f"repetition_penalty {self.repetition_penalty:g}"
        )


PRESETS: tuple[Preset, ...] = (
    Preset("calm", temperature=0.6, top_p=0.9, repetition_penalty=1.1),
    Preset("balanced", temperature=0.8, top_p=0.95, repetition_penalty=1.05),
    Preset("wild", temperature=1.1, top_p=1.0, repetition_penalty=1.0),
)
SAMPLING_OPTIONS = ("temperature", "top_p", "top_k", "repetition_penalty", "anneal")
"""Any of these given, the person chose their own sampling and no preset is picked."""


@dataclass(frozen=True)
class PresetStanding:
    """One preset in one guild, as /presets shows it."""

    preset: Preset
    own: RatingSums
    pooled: RatingSums
    posterior: Beta
    share: float


@dataclass(frozen=True)
class PresetOverview:
    standings: tuple[PresetStanding, ...]
    pinned: str | None
    pooled_ratings: int
    floor: float

    def describe(self) -> str:
        """Plain text for /presets and the console (preset names are ours: nothing to escape)."""
        lines = [
            "Presets for /lyrics without sampling options, picked by Thompson sampling on "
            f"this server's ratings (each keeps at least {self.floor:.0%} of picks):"
        ]
        for s in self.standings:
            mean = s.own.mean
            rated = f"mean {mean:.2f} from {_ratings(s.own.ratings)}" if mean else "no ratings"
            lines.append(f"{s.preset.name} ({s.preset.describe()}): {rated} · picked {s.share:.0%}")
        if self.pinned:
            lines.append(f"Pinned by an admin: {self.pinned} is always used (/preset unpin).")
        lines.append(
            f"Starting point: {_ratings(self.pooled_ratings)} from other servers, each preset's "
            f"counted as at most {POOL_CAP:g} of this server's."
        )
        return "\n".join(lines)


class PresetService:
    def __init__(
        self, db: Database, presets: tuple[Preset, ...] = PRESETS, floor: float = FLOOR
    ) -> None:
        if floor * len(presets) > 1:
            raise ValueError(f"a floor of {floor:g} for {len(presets)} presets exceeds 100 %")
        self.db = db
        self.presets = {p.name: p for p in presets}
        self.floor = floor

    async def choose(self, request: LyricsRequest) -> LyricsRequest:
        """The request with a preset filled in, or as it came if the person chose their own
        sampling (or it carries its preset already: a request written again)."""
        if request.preset is not None or any(
            getattr(request, option) is not None for option in SAMPLING_OPTIONS
        ):
            return request
        rng_seed = request.rng_seed if request.rng_seed is not None else secrets.randbelow(2**31)
        scope = _scope(request.guild_id)
        pinned = (await self.db.preset_state(scope)).pinned
        if pinned in self.presets:
            name = pinned
        else:
            posteriors = {n: s.posterior for n, s in (await self._standings(scope)).items()}
            name = choose(posteriors, Random(f"preset {rng_seed}"), self.floor)
        preset = self.presets[name]
        return replace(
            request,
            preset=name,
            temperature=preset.temperature,
            top_p=preset.top_p,
            repetition_penalty=preset.repetition_penalty,
            rng_seed=rng_seed,
        )

    async def overview(self, guild_id: int | None) -> PresetOverview:
        scope = _scope(guild_id)
        pinned = (await self.db.preset_state(scope)).pinned
        standings = await self._standings(scope)
        if pinned in standings:
            shares = {name: float(name == pinned) for name in standings}
        else:
            pinned = None
            shares = pick_shares({n: s.posterior for n, s in standings.items()}, self.floor)
        return PresetOverview(
            standings=tuple(replace(s, share=shares[n]) for n, s in standings.items()),
            pinned=pinned,
            pooled_ratings=sum(s.pooled.ratings for s in standings.values()),
            floor=self.floor,
        )

    async def pin(self, guild_id: int | None, name: str | None, by: int | None) -> None:
        """Always use preset `name` in this guild (None: let the bandit pick again)."""
        if name is not None and name not in self.presets:
            raise InvalidRequest(f"There is no preset {name!r}; try {', '.join(self.presets)}.")
        await self.db.pin_preset(_scope(guild_id), name, by)

    async def reset(self, guild_id: int | None, by: int | None) -> None:
        """Start this guild's learning again from the pooled ratings of the others."""
        await self.db.reset_presets(_scope(guild_id), by)

    async def _standings(self, scope: int) -> Mapping[str, PresetStanding]:
        """Each preset's own ratings and posterior in `scope` (shares not computed yet)."""
        own = dict.fromkeys(self.presets, RatingSums())
        pooled = dict.fromkeys(self.presets, RatingSums())
        for row in await self.db.preset_ratings(scope):
            if row.preset in self.presets:  # a preset since retired no longer competes
                sums = own if row.own else pooled
                sums[row.preset] += RatingSums(row.ratings, row.score_sum)
        return {
            name: PresetStanding(
                preset, own[name], pooled[name], posterior(own[name], pooled[name]), share=0.0
            )
            for name, preset in self.presets.items()
        }


def _ratings(n: int) -> str:
    return f"{n} rating" if n == 1 else f"{n} ratings"


def _scope(guild_id: int | None) -> int:
    return NO_GUILD if guild_id is None else guild_id
