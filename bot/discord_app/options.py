"""What /lyrics and /song say about the options they share, the word modes to pick from, and
the styles to offer."""

from __future__ import annotations

from discord import app_commands

from bot.services.engine import EngineService
from bot.services.lyrics import WORD_MODES

SHARED_HELP = {
    "seed": "Words to start from",
    "temperature": "Randomness: low is safe, high is wild (0.1–2.0)",
    "syllables": "Syllables per line: one number, or a pattern like 8,6,8,6",
    "words": "strict: only real words (default) · lexicon: dictionary words · off: anything",
    "style": "Kind of song: blues, gospel, sea_shanty… (the model's own list)",
}
WORD_CHOICES = [app_commands.Choice(name=mode, value=mode) for mode in WORD_MODES]


def style_offers(
    engine: EngineService, model: str | None, current: str
) -> list[app_commands.Choice[str]]:
    """The styles the chosen (or serving) model knows that match what is typed."""
    typed = current.strip().lower().replace(" ", "_")
    known = engine.styles(model) or ()
    matching = [s for s in known if typed in s]
    return [app_commands.Choice(name=s.replace("_", " "), value=s) for s in matching[:25]]
