"""Training configuration: one typed object, resolved once, stored in every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from lyriccore.errors import ConfigError
from lyriccore.tokenizer import Level

Amp = Literal["auto", "bf16", "fp16", "off"]
Average = Literal["off", "ema", "mean"]

# Per-level defaults: characters need a small embedding and long windows, words a larger
# embedding and shorter windows. The char recipe is tuned for quality at a 10-minute budget on
# a 2-core CPU in bf16 (`python -m bench quality`, bench/README.md): on tinyshakespeare 2x512
# learnt more per epoch than 2x384, batches of 64 far more than 128 (twice the updates for ~10%
# fewer tokens/s), and its 16 epochs reach 1.44 nats/char where a plain 2x256 reached 1.49.
#
# Characters get AWD-LSTM's regularisers (issue 15, bench/README.md): on the ballads, 10 minutes
# of the 2x512 recipe with them scored 0.072 nats/char better on another style (tinyshakespeare)
# and 0.041 better on the ballads' own validation; the 2x256 starter recipe with them was better
# at every epoch and ended 0.067 lower. Words keep them off: not measured.
REGULARISERS_OFF: dict[str, float | bool] = {
    "input_dropout": 0.0,
    "embed_dropout": 0.0,
    "weight_drop": 0.0,
    "ar": 0.0,
    "tar": 0.0,
    "vary_seq_len": False,
}
LEVEL_DEFAULTS: dict[str, dict[str, float | bool]] = {
    "char": {
        "embed_dim": 64, "hidden_size": 512, "seq_len": 128, "batch_size": 64,
        "dropout": 0.25, "lr": 2e-3, "input_dropout": 0.1, "embed_dropout": 0.05,
        "weight_drop": 0.2, "ar": 2.0, "tar": 1.0, "vary_seq_len": True,
    },
    "word": {
        "embed_dim": 192, "hidden_size": 512, "seq_len": 40, "batch_size": 32,
        "dropout": 0.2, "lr": 1e-3, **REGULARISERS_OFF,
    },
}  # fmt: skip


@dataclass(frozen=True)
class TrainConfig:
    level: Level = "char"
    embed_dim: int | None = None
    hidden_size: int | None = None
    num_layers: int = 2
    dropout: float | None = None
    tie_weights: bool = False
    # AWD-LSTM's regularisers (model.py, trainer.py); None: the level's default.
    input_dropout: float | None = None
    embed_dropout: float | None = None
    weight_drop: float | None = None
    ar: float | None = None  # activation regularisation: ar · mean(dropped output²)
    tar: float | None = None  # temporal: tar · mean((h_t − h_{t−1})²) of the raw output
    vary_seq_len: bool | None = None  # draw each window's length around seq_len (AWD-LSTM)
    # The averaged copy of the weights validated and served: an exponential moving average
    # (decay average_decay) or the plain mean of every step's weights (NT-ASGD's average),
    # either one from epoch average_start on.
    average: Average = "off"
    average_decay: float = 0.999
    average_start: int = 0
    # A model with styles reads this share of its training lanes, window by window, as songs
    # of no style (the generic token and vectors), so that a request that names no style reads
    # a style trained on every song, not one no song ever had (the starter names them all).
    # On the first starter corpus (289 songs), 0.05 against 0.15: 8-line answers named as
    # their style 49 % against 38 %, the generic style 0.005 nats/char above the songs' own
    # (0.002), bench/README.md.
    generic_share: float = 0.05
    seq_len: int | None = None
    batch_size: int | None = None
    epochs: int = 30
    lr: float | None = None
    weight_decay: float = 0.0
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    clip: float = 1.0
    val_fraction: float = 0.1
    val_blocks: int = 10  # held out: the tail of each of this many blocks (1: the last part)
    patience: int = 5
    seed: int = 1337
    max_minutes: float | None = None
    carry_state: bool = True
    amp: Amp = "auto"
    device: str = "auto"
    threads: int | None = None
    lowercase: bool = False
    min_freq: int = 2
    max_vocab: int = 20000

    def resolved(self) -> TrainConfig:
        """Fill level-dependent defaults and check every range once, up front."""
        if self.level not in LEVEL_DEFAULTS:
            raise ConfigError(f"level must be 'char' or 'word', not {self.level!r}")
        filled: dict[str, Any] = {
            k: v for k, v in LEVEL_DEFAULTS[self.level].items() if getattr(self, k) is None
        }
        config = replace(self, **filled)
        config.validate()
        return config

    def validate(self) -> None:
        checks = [
            (self.seq_len is not None and self.seq_len >= 2, "seq_len must be >= 2"),
            (self.batch_size is not None and self.batch_size >= 1, "batch_size must be >= 1"),
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.lr is not None and 0 < self.lr <= 1, "lr must be in (0, 1]"),
            (self.clip > 0, "clip must be > 0"),
            (self.patience >= 1, "patience must be >= 1"),
            (self.warmup_steps >= 0, "warmup_steps must be >= 0"),
            (0 < self.min_lr_ratio <= 1, "min_lr_ratio must be in (0, 1]"),
            (self.max_minutes is None or self.max_minutes > 0, "max_minutes must be > 0"),
            (self.amp in ("auto", "bf16", "fp16", "off"), "amp must be auto, bf16, fp16 or off"),
            (self.threads is None or self.threads >= 1, "threads must be >= 1"),
            (self.val_blocks >= 1, "val_blocks must be >= 1"),
            (
                self.ar is not None and self.ar >= 0 and self.tar is not None and self.tar >= 0,
                "ar and tar must be >= 0",
            ),
            (self.average in ("off", "ema", "mean"), "average must be off, ema or mean"),
            (0 < self.average_decay < 1, "average_decay must be in (0, 1)"),
            (self.average_start >= 0, "average_start must be >= 0"),
            (0 <= self.generic_share < 1, "generic_share must be in [0, 1)"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_saved(cls, data: dict[str, Any]) -> TrainConfig:
        """A checkpoint's config: one written before the regularisers existed trained without
        them, and resumes without them rather than with today's defaults."""
        return cls.from_dict({**REGULARISERS_OFF, **data})
