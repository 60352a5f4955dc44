from bot.discord_app.formatting import MESSAGE_LIMIT, format_answer, format_song
from bot.services.lyrics import LyricsAnswer, LyricsRequest, SongAnswer
from lyriccore.generator import GenerationResult
from lyriccore.sampling import SamplingParams
from lyriccore.song import Section, Song


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


def test_a_song_too_long_for_a_message_comes_whole_as_an_attachment() -> None:
    verse = "\n".join(["a line that goes on and on about the **sea**"] * 4)
    sections = tuple(Section(f"Verse {i}", verse) for i in range(1, 13))
    song = Song(sections, rng_seed=1, model_version="m:1")
    params = SamplingParams(rng_seed=1)
    answer = SongAnswer(5, LyricsRequest(seed="x"), params, song, ("verse",) * 12)
    content, whole = format_song(answer)
    assert len(content) <= MESSAGE_LIMIT and "Machine-generated song" in content
    assert whole == song.text and whole.count("[Verse") == 12
    short = SongAnswer(6, LyricsRequest(seed="x"), params, Song(sections[:1], 1, "m:1"), ("verse",))
    content, whole = format_song(short)
    assert whole is None and content.startswith("**[Verse 1]**\n") and "\\*\\*sea\\*\\*" in content
