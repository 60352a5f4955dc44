"""/lyrics with a rhyme scheme, syllables and word modes, through the service: the lines rhyme
as asked, every word is real, the settings are logged and shown, and bad values answer in one
clear sentence. A real tiny model and the real pronunciation lexicon."""

from __future__ import annotations

import pytest

from bot.services.errors import InvalidRequest
from bot.services.lyrics import LyricsRequest
from lyriccore.model_words import model_words
from lyriccore.songmetrics import SongForm, real_word_rate, rhyme_adherence, syllable_accuracy


async def test_abab_with_eight_syllables_rhymes_and_writes_real_words(services, write) -> None:
    request = LyricsRequest(seed="we drift", scheme="abab", syllables="8", lines=8, rng_seed=3)
    answer = await write(services, request)
    params = answer.params
    assert (params.scheme, params.syllables, params.best_of, params.words) == (
        "ABAB",
        (8,),
        8,
        "strict",  # best of 8 comes with a scheme, strict words by default
    )
    generator = services.engine.loaded_generator("starter")
    assert generator is not None
    words = model_words(generator.model)
    form = SongForm("ABAB", (8,))
    rhyme = rhyme_adherence([answer.text], form, words)
    assert rhyme["required_pairs"] + rhyme["pairs_outside_lexicon"] == 4
    assert rhyme["rhyming_pairs"] == rhyme["required_pairs"] >= 3
    assert real_word_rate([answer.text], words) == 1.0
    assert syllable_accuracy([answer.text], form, words)["within_1"] >= 0.75
    assert {"scheme ABAB", "syllables 8", "best_of 8", "words strict"} <= set(answer.summary())
    row = await services.db.get_generation(answer.generation_id)
    assert row is not None and row.params["scheme"] == "ABAB" and row.params["words"] == "strict"
    report = await services.db.stats()
    assert [(g.key, g.generations) for g in report.by_scheme] == [("ABAB", 1)]


async def test_words_off_is_the_old_free_writing(services, write) -> None:
    free = await write(services, LyricsRequest(seed="we drift", words="off", rng_seed=5))
    assert free.params.words == "off" and free.params.best_of == 1
    assert "words off" in free.summary()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scheme": "AB1"}, "A rhyme scheme is letters only, like AABB or ABCB, not 'AB1'."),
        ({"scheme": "A" * 17}, "A rhyme scheme has at most 16 lines"),
        ({"syllables": "99"}, "Syllables per line must be between 1 and 30, not 99."),
        ({"syllables": "eight"}, "Syllables takes a number or a pattern like 8,6,8,6"),
        ({"words": "loose"}, "`words` must be one of off, strict, lexicon."),
        ({"best_of": 0}, "`best_of` must be between 1 and 16"),
        ({"best_of": 2.5}, "`best_of` must be a whole number"),
    ],
)
async def test_bad_song_form_options_answer_in_one_sentence(
    services, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        services.lyrics.admit(LyricsRequest(seed="we drift", **changes))  # type: ignore[arg-type]
    assert str(refused.value).startswith(message)
    assert services.engine.queue.depth == 0
