"""Progress per request: whole lines as they are written, for streaming, without changing a
word of what is written (alone or batched, free or shaped)."""

from __future__ import annotations

import itertools
from concurrent.futures import Future
from pathlib import Path

import pytest

from lyriccore.generator import GenerationResult, Generator
from lyriccore.sampling import SamplingParams

FREE = SamplingParams(lines=6, rng_seed=11)
SHAPED = SamplingParams(lines=6, rng_seed=11, scheme="AABB", best_of=4, words="strict")


@pytest.mark.parametrize("params", [FREE, SHAPED], ids=["free", "shaped"])
def test_lines_arrive_whole_and_growing_and_the_text_is_unchanged(
    char_model: Path, params: SamplingParams
) -> None:
    generator = Generator.from_path(char_model)
    try:
        alone = generator.generate("we drift", params).texts[0]
        heard: list[str] = []
        others: list[Future[GenerationResult]] = [
            generator.submit(f"crowd {i}", SamplingParams(lines=3, rng_seed=i)) for i in range(3)
        ]
        streamed = generator.submit("we drift", params, on_lines=heard.append).result()
        for other in others:
            other.result()
    finally:
        generator.close()
    assert streamed.texts[0] == alone  # listening changes nothing, nor do the neighbours
    assert heard, "no lines were reported"
    assert all(text.endswith("\n") for text in heard)  # whole lines only
    assert all(b.startswith(a) and len(b) > len(a) for a, b in itertools.pairwise(heard))
    assert streamed.continuations[0].startswith(heard[-1].rstrip("\n"))


def test_a_failing_listener_costs_only_its_progress(char_model: Path) -> None:
    def broken(text: str) -> None:
        raise RuntimeError("the listener broke")

    generator = Generator.from_path(char_model)
    try:
        expected = generator.generate("we drift", FREE).texts[0]
        assert generator.submit("we drift", FREE, on_lines=broken).result().texts[0] == expected
    finally:
        generator.close()
