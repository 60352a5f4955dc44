from bot.discord_app.formatting import MESSAGE_LIMIT, format_answer
from bot.services.lyrics import LyricsAnswer, LyricsRequest
from lyriccore.generator import GenerationResult
from lyriccore.sampling import SamplingParams


def _answer(seed: str, continuation: str, unknown: list[str] | None = None) -> LyricsAnswer:
    result = GenerationResult(
        seed=seed,
        continuations=[continuation],
        rng_seed=99,
        model_version="starter:abc",
        tokens_generated=len(continuation),
        seconds=0.1,
        unknown=unknown or [],
    )
    params = SamplingParams(top_p=0.9, lines=32, rng_seed=99)
    return LyricsAnswer(7, LyricsRequest(seed=seed), params, result, 100.0)


def test_long_output_is_cut_at_a_line_boundary_and_keeps_its_footer() -> None:
    lines = [f"line number {i} " + "la " * 20 for i in range(200)]
    text = format_answer(_answer("we drift", "\n" + "\n".join(lines)))
    assert len(text) <= MESSAGE_LIMIT
    body, footer = text.split("\n\n-# ", 1)
    assert body.splitlines()[-1].rstrip() == lines[len(body.splitlines()) - 2].rstrip()
    assert "rng\\_seed 99" in footer and "top\\_p 0.9" in footer and "#7" in footer


def test_markdown_and_mentions_are_neutralised_and_the_seed_is_bold() -> None:
    text = format_answer(
        _answer("@everyone *loud*", " `code` <@123> ~~gone~~\n||spoiler||", unknown=["€"])
    )
    assert text.startswith("**@\u200beveryone \\*loud\\***")
    assert "\\`code\\`" in text and "\\~\\~gone\\~\\~" in text and "\\|\\|spoiler\\|\\|" in text
    assert "@everyone" not in text
    assert "Left out of the seed (unknown to this model): €" in text
