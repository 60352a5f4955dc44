"""The engine's errors, so callers can turn known failures into one clear line.

    LyricCoreError
     ├── ConfigError      a parameter out of its range, or settings that cannot work together
     ├── CorpusError      a corpus missing, unreadable, empty, or too short to train on
     ├── CheckpointError  a checkpoint missing, corrupt, or not written by lyriccore
     └── GenerationError  a generation request that cannot be served
          └── GenerationCancelled  stopped on request (a time budget ran out)

Anything else escaping the engine is a bug and should be logged with its traceback.
"""


class LyricCoreError(Exception):
    """Base of every error the engine raises on purpose; its message is safe to show a user."""


class ConfigError(LyricCoreError, ValueError):
    """A parameter is outside its valid range."""


class CorpusError(LyricCoreError):
    """The corpus cannot be read or is unusable for training."""


class CheckpointError(LyricCoreError):
    """A checkpoint cannot be loaded."""


class GenerationError(LyricCoreError):
    """A generation request cannot be served."""


class GenerationCancelled(GenerationError):
    """The caller asked a running generation to stop."""
