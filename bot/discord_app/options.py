"""What /lyrics and /song say about the options they share, and the word modes to pick from."""

from __future__ import annotations

from discord import app_commands

from bot.services.lyrics import WORD_MODES

SHARED_HELP = {
    "seed": "Words to start from",
    "temperature": "Randomness: low is safe, high is wild (0.1–2.0)",
    "syllables": "Syllables per line: one number, or a pattern like 8,6,8,6",
    "words": "strict: only real words (default) · lexicon: dictionary words · off: anything",
}
WORD_CHOICES = [app_commands.Choice(name=mode, value=mode) for mode in WORD_MODES]
