from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from lyriccore.checkpoint import load_model
from lyriccore.errors import ConfigError, GenerationError
from lyriccore.generator import Generator
from lyriccore.sampling import RowKnobs, SamplingParams, choose_tokens, temperature_at


@pytest.fixture(scope="module")
def generator(char_model: Path) -> Generator:
    return Generator.from_path(char_model)


def _knobs(n: int, **given: float) -> RowKnobs:
    return RowKnobs.of(SamplingParams(**{"temperature": 1.0, **given}), n)  # type: ignore[arg-type]


def _uniforms(n: int) -> np.ndarray:
    return np.random.default_rng(0).random(n)


NO_RECENT = np.empty((0, 0), np.int64)


def _real_logits(generator: Generator, n: int) -> np.ndarray:
    tok = generator.model.tokenizer
    with torch.inference_mode():
        logits, _ = generator.model.model(torch.tensor([tok.encode("the night is ")]))
    return np.repeat(logits[:, -1].numpy(), n, axis=0)


def test_top_k_never_leaves_the_k_most_likely(generator: Generator) -> None:
    logits = _real_logits(generator, 4000)
    logits[:, 0] = -np.inf
    allowed = set(np.argsort(-logits[0])[:3].tolist())
    chosen = choose_tokens(
        logits, _knobs(4000, top_k=3, temperature=2.0), NO_RECENT, _uniforms(4000)
    )
    assert set(chosen.tolist()) == allowed


def test_top_p_keeps_only_the_nucleus(generator: Generator) -> None:
    logits = torch.from_numpy(_real_logits(generator, 4000))
    logits[:, 0] = float("-inf")
    probs = torch.softmax(logits[0], 0)
    ordered = probs.argsort(descending=True)
    mass_before = probs[ordered].cumsum(0) - probs[ordered]
    nucleus = set(ordered[mass_before < 0.5].tolist())
    knobs = _knobs(4000, top_p=0.5)
    chosen = set(choose_tokens(logits.numpy(), knobs, NO_RECENT, _uniforms(4000)).tolist())
    assert chosen <= nucleus and len(chosen) == len(nucleus)


def test_repetition_penalty_lowers_recent_tokens(generator: Generator) -> None:
    logits = _real_logits(generator, 2000)
    favourite = int(logits[0, 1:].argmax()) + 1
    recent = np.full((2000, 1), favourite)
    plain = choose_tokens(logits, _knobs(2000), recent, _uniforms(2000))
    penalised = choose_tokens(logits, _knobs(2000, repetition_penalty=3.0), recent, _uniforms(2000))
    assert (penalised == favourite).sum() < (plain == favourite).sum()


def test_rows_of_one_batch_keep_their_own_settings(generator: Generator) -> None:
    """Requests stepped together: a greedy row, a top-k row and a free row side by side."""
    logits = _real_logits(generator, 3)
    knobs = RowKnobs.join(
        [_knobs(1, greedy=True), _knobs(1, top_k=1, temperature=3.0), _knobs(1, temperature=3.0)]
    )
    best = int(logits[0, 1:].argmax()) + 1
    draws = [
        choose_tokens(logits, knobs, NO_RECENT, np.array([u, u, u]))
        for u in np.linspace(0, 0.999, 50)
    ]
    assert {int(d[0]) for d in draws} == {best} == {int(d[1]) for d in draws}
    assert len({int(d[2]) for d in draws}) > 5


def test_temperature_anneals_from_start_to_end() -> None:
    params = SamplingParams(temperature=1.2, anneal_to=0.4)
    assert temperature_at(params, 0.0) == pytest.approx(1.2)
    assert temperature_at(params, 0.5) == pytest.approx(0.8)
    assert temperature_at(params, 1.0) == pytest.approx(0.4)


def test_greedy_is_deterministic_and_seeds_reproduce(generator: Generator) -> None:
    greedy = SamplingParams(greedy=True, lines=3)
    assert generator.generate("moon", greedy).texts == generator.generate("moon", greedy).texts
    seeded = SamplingParams(rng_seed=42, lines=4, top_p=0.9, repetition_penalty=1.2)
    first = generator.generate("moon", seeded)
    assert first.texts == generator.generate("moon", seeded).texts
    assert first.rng_seed == 42
    other = generator.generate("moon", seeded.with_seed(43))
    assert other.texts != first.texts


def test_output_stops_at_the_asked_number_of_lines(generator: Generator) -> None:
    for lines in (1, 3, 6):
        result = generator.generate("we drift", SamplingParams(rng_seed=1, lines=lines))
        text = result.texts[0]
        assert len([ln for ln in text.split("\n") if ln.strip()]) == lines
        assert text.startswith("we drift")


def test_stop_marker_and_token_budget(generator: Generator) -> None:
    result = generator.generate("x", SamplingParams(rng_seed=3, stop="e", lines=None))
    assert "e" not in result.continuations[0]
    capped = generator.generate("x", SamplingParams(rng_seed=3, lines=None, max_tokens=25))
    assert capped.tokens_generated == 25


def test_many_samples_in_one_pass_are_different(generator: Generator) -> None:
    result = generator.generate("the road", SamplingParams(samples=6, rng_seed=5, lines=2))
    assert len(result.texts) == 6
    assert len(set(result.texts)) > 1


def test_beam_search_returns_ranked_distinct_beams(generator: Generator) -> None:
    params = SamplingParams(beam=4, samples=3, lines=1)
    result = generator.generate("the night", params)
    assert len(result.texts) == 3 and len(set(result.texts)) == 3
    assert result.texts == generator.generate("the night", params).texts


def test_unknown_seed_characters_are_dropped_and_reported(generator: Generator) -> None:
    result = generator.generate("night€ ☃sky", SamplingParams(rng_seed=1, lines=1))
    assert result.unknown == ["€", "☃"]
    assert result.seed == "night sky"
    empty = generator.generate("", SamplingParams(rng_seed=1, lines=2))
    assert empty.texts[0].strip()


def test_bad_requests_are_refused_clearly(generator: Generator) -> None:
    with pytest.raises(ConfigError, match="temperature must be between"):
        SamplingParams(temperature=9)
    with pytest.raises(ConfigError, match="samples must be <= beam"):
        SamplingParams(beam=2, samples=3)
    with pytest.raises(GenerationError, match="limit"):
        generator.generate("a" * 20_000)


def test_word_model_generates_spaced_words(word_model: Path) -> None:
    result = Generator.from_path(word_model).generate("the river", SamplingParams(rng_seed=2))
    text = result.texts[0]
    assert text.startswith("the river ") and "  " not in text
    assert len([ln for ln in text.split("\n") if ln.strip()]) == 8


def test_threads_share_a_generator_and_a_swap_spares_running_work(char_model: Path) -> None:
    generator = Generator.from_path(char_model)
    params = [SamplingParams(rng_seed=s, lines=3) for s in range(8)]
    serial = [generator.generate("rain", p).texts for p in params]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda p: generator.generate("rain", p).texts, params))
    assert parallel == serial
    before = generator.model.version
    previous = generator.swap(load_model(char_model))
    assert previous.version == before and generator.model is not previous


def test_the_fast_step_matches_the_full_lstm(char_model: Path) -> None:
    model = load_model(char_model).model
    tokens = torch.tensor([[3, 7, 11, 5]])
    with torch.inference_mode():
        full, _ = model(tokens)
        _, state = model(tokens[:, :3])
        stepped, _ = model.step(tokens[:, 3], state)
    assert torch.allclose(stepped, full[:, -1], atol=1e-5)
