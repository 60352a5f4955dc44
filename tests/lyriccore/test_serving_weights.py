"""Serving with int8 weights: close to the fp32 reference, and still one text per seed."""

from pathlib import Path

import numpy as np
import pytest

from lyriccore.checkpoint import LoadedModel, load_model
from lyriccore.corpus import Corpus
from lyriccore.cpu_lstm import CpuLSTM
from lyriccore.errors import ConfigError
from lyriccore.generator import Generator
from lyriccore.model import LyricsLSTM, ModelConfig
from lyriccore.ort_step import OrtStep
from lyriccore.sampling import SamplingParams
from lyriccore.serving_step import resolve_weights
from lyriccore.step_graph import step_graph
from lyriccore.step_quality import nll_per_token

SEEDS = ["rain", "we drift", "", "o my heart", "the road is long", "x"]
MIXED = [
    SamplingParams(rng_seed=1, lines=2),
    SamplingParams(rng_seed=2, lines=5, temperature=1.3, top_k=5),
    SamplingParams(rng_seed=3, lines=3, top_p=0.8, repetition_penalty=1.4),
    SamplingParams(rng_seed=4, lines=4, samples=3, anneal_to=0.3),
    SamplingParams(rng_seed=5, lines=2, best_of=4),
    SamplingParams(rng_seed=6, lines=None, max_tokens=40, repetition_penalty=2.0, top_k=8),
]


@pytest.fixture(scope="module")
def loaded(char_model: Path) -> LoadedModel:
    return load_model(char_model)


@pytest.fixture(scope="module")
def held_out(loaded: LoadedModel, starter_corpus: Corpus) -> list[int]:
    """Starter songs the tiny model never saw (it trains on the first 12,000 characters)."""
    return loaded.tokenizer.encode(starter_corpus.text[20_000:26_000])


def test_int8_logits_stay_within_a_few_hundredths_of_fp32_at_every_step(
    loaded: LoadedModel, held_out: list[int]
) -> None:
    cpu = CpuLSTM(loaded.model)
    int8 = OrtStep(step_graph(cpu, "int8"))
    tokens = np.array(held_out[:400], np.int64).reshape(4, 100)
    ref_state, q_state = cpu.initial_state(4), int8.initial_state(4)
    for t in range(100):
        reference, quantised = cpu.step(tokens[:, t], ref_state), int8.step(tokens[:, t], q_state)
        assert np.abs(quantised - reference).max() < 0.05
        assert np.abs(q_state.c - ref_state.c).max() < 0.05


@pytest.mark.parametrize("weights", ["int8", "int4"])
def test_quantised_weights_cost_under_half_a_percent_of_held_out_nll(
    loaded: LoadedModel, held_out: list[int], weights: str
) -> None:
    cpu = CpuLSTM(loaded.model)
    reference = nll_per_token(cpu, held_out)
    quantised = nll_per_token(OrtStep(step_graph(cpu, weights)), held_out)
    assert abs(quantised - reference) / reference < 0.005


def test_int8_requests_batched_together_write_what_they_would_alone(
    loaded: LoadedModel,
) -> None:
    generator = Generator(loaded, weights="int8")
    alone = [generator.generate(s, p).texts for s, p in zip(SEEDS, MIXED, strict=True)]
    together = [generator.submit(s, p) for s, p in zip(SEEDS, MIXED, strict=True)]
    assert [f.result().texts for f in together] == alone
    again = Generator(loaded, weights="int8")  # a restart: the same text for the same seed
    assert again.generate(SEEDS[1], MIXED[1]).texts == alone[1]


def test_auto_serves_int8_from_256_hidden_units_and_fp32_below() -> None:
    small = LyricsLSTM(ModelConfig(vocab_size=40, embed_dim=8, hidden_size=48))
    large = LyricsLSTM(ModelConfig(vocab_size=40, embed_dim=8, hidden_size=256))
    assert resolve_weights(small, "auto") == "fp32" and resolve_weights(large, "auto") == "int8"
    assert resolve_weights(small, "int8") == "int8"
    with pytest.raises(ConfigError, match="auto, fp32, int8"):
        resolve_weights(small, "fp16")
