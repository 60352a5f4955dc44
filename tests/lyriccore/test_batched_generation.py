"""Serving: the numpy step, and requests stepped together in one batch."""

import copy
import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from lyriccore.checkpoint import LoadedModel, load_model
from lyriccore.cpu_lstm import CpuLSTM, CpuState
from lyriccore.errors import GenerationCancelled
from lyriccore.generator import Generator
from lyriccore.model import LyricsLSTM, ModelConfig
from lyriccore.ort_step import OrtStep
from lyriccore.reference import plain_sample
from lyriccore.sampling import SamplingParams
from lyriccore.step_graph import step_graph

MIXED = [
    SamplingParams(rng_seed=1, lines=2),
    SamplingParams(rng_seed=2, lines=5, temperature=1.3, top_k=5),
    SamplingParams(rng_seed=3, lines=3, top_p=0.8, repetition_penalty=1.4),
    SamplingParams(rng_seed=4, lines=4, samples=3, anneal_to=0.3),
    SamplingParams(rng_seed=5, lines=1, greedy=True),
    SamplingParams(rng_seed=6, lines=None, max_tokens=40, repetition_penalty=2.0, top_k=8),
]


@pytest.fixture(scope="module")
def loaded(char_model: Path) -> LoadedModel:
    return load_model(char_model)


@pytest.mark.parametrize(
    "config",
    [
        ModelConfig(vocab_size=90),
        ModelConfig(vocab_size=300, embed_dim=8, hidden_size=24, num_layers=3),
        ModelConfig(vocab_size=20_000, embed_dim=32, hidden_size=256),  # too big for a table
    ],
)
def test_the_numpy_step_computes_the_torch_lstm(config: ModelConfig) -> None:
    torch.manual_seed(0)
    model = LyricsLSTM(config).eval()
    tokens = torch.randint(0, config.vocab_size, (5, 40))
    with torch.inference_mode():
        full, _ = model(tokens)
        _, state = model(tokens[:, :20])
    cpu = CpuLSTM(model)
    assert (cpu.table is None) == (config.vocab_size == 20_000)
    from_zero, resumed = cpu.initial_state(5), CpuState.from_torch(state)
    stepped = np.stack([cpu.step(tokens[:, t].numpy(), from_zero) for t in range(40)], axis=1)
    np.testing.assert_allclose(stepped, full.numpy(), atol=1e-5)
    after_seed = np.stack([cpu.step(tokens[:, t].numpy(), resumed) for t in range(20, 40)], axis=1)
    np.testing.assert_allclose(after_seed, full[:, 20:].numpy(), atol=1e-5)


@pytest.mark.parametrize("config", [
    ModelConfig(vocab_size=90, style_slots=4),
    ModelConfig(vocab_size=20_000, embed_dim=32, hidden_size=64, style_slots=3),  # no table
])  # fmt: skip
def test_each_row_of_the_served_steps_reads_its_own_style(config: ModelConfig) -> None:
    torch.manual_seed(0)
    model = LyricsLSTM(config).eval()
    assert model.style_embed is not None and model.style_head is not None
    torch.nn.init.normal_(model.style_embed.weight)  # as if trained: the head's starts at zero
    torch.nn.init.normal_(model.style_head.weight)
    tokens = torch.randint(0, config.vocab_size, (5, 30))
    slots = torch.tensor([0, 1, 2, 1, 0])
    offsets = slots * config.vocab_size
    with torch.inference_mode():
        full, _ = model(tokens + offsets[:, None])
    cpu = CpuLSTM(model)
    for step in (cpu, OrtStep(step_graph(cpu, "fp32"))):  # numpy, and the graph int8 is built as
        state = step.initial_state(5)
        state.offset[:] = offsets.numpy()
        stepped = np.stack([step.step(tokens[:, t].numpy(), state) for t in range(30)], axis=1)
        np.testing.assert_allclose(stepped, full.numpy(), atol=1e-4)
    with torch.inference_mode():  # and the style matters: the same tokens, another style
        other, _ = model(tokens + ((slots + 1) % config.style_slots * config.vocab_size)[:, None])
    assert (other - full).abs().max() > 1e-3


def test_served_text_is_the_plain_paths_text_for_the_same_seed(loaded: LoadedModel) -> None:
    generator = Generator(loaded)
    for params in MIXED:
        assert generator.generate("the night", params).texts == plain_sample(
            loaded, "the night", params
        )


def test_requests_batched_together_write_what_they_would_alone(loaded: LoadedModel) -> None:
    generator = Generator(loaded)
    seeds = ["rain", "we drift", "", "o my heart", "the road is long", "x"]
    alone = [generator.generate(seed, p).texts for seed, p in zip(seeds, MIXED, strict=True)]
    together = [generator.submit(seed, p) for seed, p in zip(seeds, MIXED, strict=True)]
    assert [f.result().texts for f in together] == alone


def test_a_short_request_is_answered_while_a_long_one_runs(loaded: LoadedModel) -> None:
    generator = Generator(loaded)
    long = generator.submit("la", SamplingParams(lines=None, max_tokens=20_000, rng_seed=1))
    short = generator.submit("la", SamplingParams(lines=1, rng_seed=2)).result(timeout=60)
    assert not long.done() and generator.active_rows == 1
    assert short.texts[0].startswith("la")
    assert long.result(timeout=120).tokens_generated == 20_000


def test_cancelling_one_request_leaves_the_others_running(loaded: LoadedModel) -> None:
    generator = Generator(loaded)
    cancel = threading.Event()
    doomed = generator.submit("la", SamplingParams(lines=None, max_tokens=50_000), cancel=cancel)
    params = SamplingParams(lines=None, max_tokens=3_000, rng_seed=9)
    other = generator.submit("la", params)
    cancel.set()
    with pytest.raises(GenerationCancelled):
        doomed.result(timeout=60)
    assert other.result(timeout=60).texts == generator.generate("la", params).texts


def test_a_swap_lets_running_requests_finish_on_their_model(loaded: LoadedModel) -> None:
    quieter = copy.deepcopy(loaded.model)
    with torch.no_grad():
        quieter.head.weight.mul_(0.5)
    other = dataclasses.replace(loaded, model=quieter, version="other")
    params = SamplingParams(lines=None, max_tokens=20_000, rng_seed=1)
    expected = Generator(loaded).generate("la", params).texts
    generator = Generator(loaded)
    running = generator.submit("la", params)
    assert generator.swap(other) is loaded
    after = generator.generate("la", params)
    assert after.model_version == "other" and after.texts != expected
    assert running.result(timeout=120).texts == expected
    generator.close()
