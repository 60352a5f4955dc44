"""lyriccore: the LSTM lyrics engine (corpus, vocabularies, model, trainer, generator).

It never imports Discord: the bot is one client of this package among others (the CLI, tests,
benchmarks).
"""

__version__ = "0.1.0"
