"""Song form on tiny real models: real words, rhymes, syllables, best of K, same seed same text."""

import json
import logging
import re
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from lyriccore.checkpoint import LoadedModel, load_model, read_checkpoint, save_checkpoint
from lyriccore.cli import main
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.decoding import Decoding
from lyriccore.errors import ConfigError, GenerationCancelled
from lyriccore.form import parse_scheme, parse_syllables
from lyriccore.generator import Generator
from lyriccore.model_words import ModelWords, model_words
from lyriccore.pronounce import load_lexicon
from lyriccore.reference import plain_sample
from lyriccore.sampling import SamplingParams
from lyriccore.seeds import PreparedSeed
from lyriccore.songmetrics import SongForm, rhyme_adherence, song_lines, syllable_accuracy
from lyriccore.trainer import train
from lyriccore.words import WordSet, common_words, word_runs

SHAPED = [
    SamplingParams(rng_seed=1, lines=4, words="strict", best_of=3),
    SamplingParams(rng_seed=2, lines=4, scheme="AABB", best_of=2, top_k=8),
    SamplingParams(rng_seed=3, lines=4, scheme="ABAB", syllables=(6,), words="strict"),
    SamplingParams(rng_seed=4, lines=3, syllables=(5, 7), best_of=2, samples=2, temperature=1.2),
]


@pytest.fixture(scope="module")
def loaded(char_model: Path) -> LoadedModel:
    return load_model(char_model)


@pytest.fixture(scope="module")
def generator(loaded: LoadedModel) -> Generator:
    return Generator(loaded)


@pytest.fixture(scope="module")
def words(loaded: LoadedModel) -> ModelWords:
    return model_words(loaded)


def test_the_lexicon_rhymes_and_counts_syllables() -> None:
    lexicon = load_lexicon()
    assert lexicon.rhymes("night", "tonight") and lexicon.rhymes("love", "above")
    assert not lexicon.rhymes("love", "love") and not lexicon.rhymes("night", "day")
    assert lexicon.rhymes("heart", "hard", near=True) and not lexicon.rhymes("heart", "hard")
    assert [lexicon.syllables(w) for w in ("the", "morning", "beautiful")] == [1, 2, 3]
    guessed = lexicon.sound("skeep")
    assert not guessed.known and guessed.syllables == 1


def test_strict_words_are_all_training_or_lexicon_words(
    generator: Generator, words: ModelWords
) -> None:
    free = generator.generate("the nig", SamplingParams(rng_seed=5, lines=8, temperature=1.5))
    strict_params = SamplingParams(rng_seed=5, lines=8, temperature=1.5, words="strict")
    texts = generator.generate("the nig", strict_params.with_seed(5)).texts  # "nig" finished
    texts += generator.generate("", SamplingParams(lines=8, words="strict", rng_seed=6)).texts
    found = [w for t in texts for w in word_runs(t)]
    assert len(found) > 40 and all(w in words.strict_words for w in found)
    invented = [w for t in free.continuations for w in word_runs(t) if w not in words.strict_words]
    assert invented, "the tiny model invents words when free, so the test means something"


def test_strict_words_leave_out_the_lexicons_surnames_and_places(
    generator: Generator, words: ModelWords
) -> None:
    """The pronunciation lexicon holds ~80k surnames and places; strict answers wrote them as
    words ("coutts", "dodsworth"). Only everyday words join the model's own."""
    lexicon = load_lexicon()
    for name in ("coutts", "dodsworth", "tarleton", "hupfer", "ciardi"):
        assert name in lexicon and name not in words.strict_words
    for word in ("river", "tonight", "remember", "heartache"):
        assert word in words.lexicon_words
    own = set(words.known.words) - common_words()
    assert own and own <= set(words.strict_words.words)  # the corpus' own words stay
    params = SamplingParams(lines=8, words="strict", temperature=1.3, samples=8, rng_seed=4)
    found = {w for t in generator.generate("the", params).texts for w in word_runs(t)}
    assert found <= set(words.known.words) | common_words()


def test_strict_words_take_no_capital_inside_a_word(generator: Generator) -> None:
    """Words are looked up lowercased, so a capital the model put inside one passed as real
    ("purloIn", "barK"); only a word begun in capitals ("OH", "I'm") may carry more."""
    params = SamplingParams(lines=8, words="strict", temperature=1.5, samples=16, rng_seed=9)
    texts = generator.generate("the", params).texts
    free = generator.generate("the", SamplingParams(lines=8, temperature=1.5, samples=16))
    inside = re.compile(r"[^\W\d_][a-z']*[a-z'][A-Z]")
    assert any(inside.search(t) for t in free.texts), "the tiny model writes them when free"
    assert not [m.group() for t in texts for m in [inside.search(t)] if m]


def test_strict_words_are_one_space_apart(generator: Generator) -> None:
    """Cutting a word the model wanted leaves its weight on a space; a second one in a row is
    not written."""
    params = SamplingParams(lines=8, words="strict", temperature=1.5, samples=8, rng_seed=3)
    texts = generator.generate("the", params).texts
    assert sum(t.count(" ") for t in texts) > 100 and not any("  " in t for t in texts)
    assert not any(line.startswith(" ") for t in texts for line in t.split("\n"))


def test_an_answer_is_one_song_with_one_blank_line_at_most(loaded: LoadedModel) -> None:
    """Two blank lines start the next song in the corpus; after one, an answer does not
    write a second, free or shaped."""
    tokenizer = loaded.tokenizer
    newline = tokenizer.id_of("\n")
    seed = PreparedSeed("we drift\n\n", tokenizer.encode("we drift\n\n"), [])
    for words in ("off", "strict"):
        run = Decoding(loaded, seed, SamplingParams(samples=2, words=words))
        logits = np.zeros((run.rows, tokenizer.vocab_size), np.float32)
        run.constrain(logits)
        assert np.isneginf(logits[:, newline]).all(), words
        assert np.isfinite(logits[:, tokenizer.id_of("w")]).all()
    once = Decoding(loaded, PreparedSeed("we drift\n", seed.ids[:-1], []), SamplingParams())
    logits = np.zeros((1, tokenizer.vocab_size), np.float32)
    once.constrain(logits)
    assert np.isfinite(logits[0, newline])  # one blank line between stanzas is fine


def test_a_rhyme_scheme_is_kept_by_forcing_the_line_ends(
    generator: Generator, words: ModelWords
) -> None:
    params = SamplingParams(lines=8, scheme="ABCB", best_of=2, words="strict", samples=2)
    texts = generator.generate("", params.with_seed(11)).continuations
    report = rhyme_adherence(texts, SongForm("ABCB", None), words)
    assert report["rhyming_pairs"] == report["required_pairs"] == 4  # line 4 with 2, twice
    assert all(len(song_lines(t)) == 8 for t in texts)
    assert all(t.count("\n\n") == 1 for t in texts), "two stanzas of four"


def test_every_abab_rhymes_and_its_b_lines_are_not_a_rhymes(
    generator: Generator, words: ModelWords
) -> None:
    """A B line that ended on A's sound ("east") let A's third line take the rhyme ("priest")
    B's partner needed, and the fourth line went unrhymed; a B now opens a sound of its own."""
    params = SamplingParams(lines=8, scheme="ABAB", syllables=(8,), best_of=8, words="strict")
    texts = generator.generate("we drift", replace(params, samples=48).with_seed(3)).texts
    report = rhyme_adherence(texts, SongForm("ABAB", (8,)), words)
    assert report["rhyming_pairs"] == report["required_pairs"] == 48 * 4
    for text in texts:
        for stanza in text.split("\n\n"):
            a, b = (word_runs(line)[-1] for line in stanza.split("\n")[:2])
            assert a != b and b not in words.rhymes_of(a)


def test_syllable_targets_hold_within_the_tolerance(
    generator: Generator, words: ModelWords
) -> None:
    params = SamplingParams(lines=8, syllables=(8, 6), best_of=4, words="strict", samples=2)
    texts = generator.generate("", params.with_seed(3)).continuations
    report = syllable_accuracy(texts, SongForm(None, (8, 6)), words)
    assert report["lines"] == 16 and report["within_1"] >= 0.9


def test_same_seed_same_text_alone_batched_and_on_the_plain_path(
    generator: Generator, loaded: LoadedModel
) -> None:
    seeds = ["rain", "we drift", "", "o my he"]
    generator.prepare_song_form()
    alone = [generator.generate(s, p).texts for s, p in zip(seeds, SHAPED, strict=True)]
    free = [generator.submit("la", SamplingParams(rng_seed=9, lines=6)) for _ in range(3)]
    together = [generator.submit(s, p) for s, p in zip(seeds, SHAPED, strict=True)]
    assert [f.result().texts for f in together] == alone
    assert len({f.result().texts[0] for f in free}) == 1
    assert [plain_sample(loaded, s, p) for s, p in zip(seeds, SHAPED, strict=True)] == alone


def test_a_shaped_request_can_be_cancelled(generator: Generator) -> None:
    cancel = threading.Event()
    params = SamplingParams(lines=None, max_tokens=50_000, best_of=8, words="strict")
    running = generator.submit("la", params, cancel=cancel)
    cancel.set()
    with pytest.raises(GenerationCancelled):
        running.result(timeout=60)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"scheme": "AB1B"}, "letters only"),
        ({"scheme": "A" * 17}, "at most 16 lines"),
        ({"syllables": (0,)}, "between 1 and 30"),
        ({"best_of": 33}, "best_of must be between 1 and 32"),
        ({"words": "maybe"}, "words must be one of off, strict, lexicon"),
        ({"beam": 4, "scheme": "AABB"}, "beam search takes no scheme"),
    ],
)
def test_bad_song_options_are_refused_in_one_line(given: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        SamplingParams(**given)
    assert "\n" not in str(caught.value)


def test_the_parsers_the_bot_can_call() -> None:
    assert parse_scheme(" abab ") == "ABAB" and parse_scheme("free") is None
    assert parse_syllables("8, 6,8,6") == (8, 6, 8, 6) and parse_syllables("") is None
    with pytest.raises(ConfigError, match="a number or a pattern"):
        parse_syllables("eight")
    params = SamplingParams(scheme="aabb", syllables=[8])  # type: ignore[arg-type]
    logged = params.to_dict()
    assert logged["scheme"] == "AABB" and logged["syllables"] == (8,)
    assert json.loads(json.dumps(logged))["words"] == "off"


def test_a_model_that_cannot_rhyme_says_so(tmp_path: Path, tiny: dict) -> None:
    text = "\n\n\n".join("12 34, 56!\n78 (90) 1 2 3\n45 67 89." for _ in range(300))
    out = tmp_path / "digits"
    train(Corpus(text, 300, ("digits",), False), TrainConfig(level="char", **tiny), out)
    generator = Generator.from_path(out)
    with pytest.raises(ConfigError, match="cannot rhyme"):
        generator.submit("1", SamplingParams(scheme="AABB"))
    with pytest.raises(ConfigError, match="writes no strict words"):
        generator.submit("1", SamplingParams(words="strict"))
    assert generator.generate("1", SamplingParams(scheme="ABCD", rng_seed=1)).texts


def test_a_checkpoint_without_a_word_list_uses_the_lexicon(
    char_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = read_checkpoint(char_model / "best.pt")
    assert data["corpus_words"] and "the" in data["corpus_words"]
    del data["corpus_words"]
    save_checkpoint(tmp_path / "best.pt", {k: v for k, v in data.items() if k != "format"})
    old = load_model(tmp_path)
    with caplog.at_level(logging.WARNING):
        text = Generator(old).generate("", SamplingParams(words="strict", rng_seed=2)).texts[0]
    assert "carries no word list" in caplog.text
    assert all(w in load_lexicon() for w in word_runs(text))


def test_word_models_keep_to_real_words_and_rhyme(word_model: Path) -> None:
    loaded = load_model(word_model)
    params = SamplingParams(lines=4, scheme="AABB", words="lexicon", best_of=2, rng_seed=4)
    with torch.inference_mode():
        text = Generator(loaded).generate("", params).texts[0]
    lexicon = load_lexicon()
    assert all(w in lexicon for w in word_runs(text))
    report = rhyme_adherence([text], SongForm("AABB", None), model_words(loaded))
    assert report["rhyming_pairs"] == report["required_pairs"] == 2


def test_cli_generate_with_a_scheme_and_strict_words(
    char_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["generate", "--model", str(char_model), "--seed", "we drift", "--scheme", "abab"]
    argv += ["--syllables", "8", "--best-of", "3", "--words", "strict", "--rng-seed", "1"]
    assert main([*argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(song_lines(result["texts"][0])) == 8
    with pytest.raises(SystemExit):
        main([*argv[:3], "--scheme", "A1"])
    assert "letters only" in capsys.readouterr().err


def test_evaluate_reports_song_metrics_free_and_shaped(
    char_model: Path, small_corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "songs.txt"
    corpus.write_text(small_corpus.text, encoding="utf-8")
    argv = ["evaluate", "--model", str(char_model), "--corpus", str(corpus), "--samples", "2"]
    assert main([*argv, "--scheme", "AABB", "--best-of", "2", "--words", "strict"]) == 0
    songs = json.loads(capsys.readouterr().out)["songs"]
    free, shaped = songs["free"], songs["shaped"]
    assert shaped["real_word_rate"] == 1.0 > free["real_word_rate"]
    assert shaped["rhyme"]["adherence"] == 1.0 and free["rhyme"]["required_pairs"] > 0
    assert 0 <= shaped["copied_line_rate"] <= 1 and shaped["longest_copied_span"] > 0
    assert shaped["nll_per_token"] > 0 and songs["params"]["scheme"] == "AABB"


def test_what_counts_as_a_word_and_where_it_may_go() -> None:
    assert word_runs("Don't cry, well-a-day 'tis 42 LOVE'") == [
        "don't", "cry", "well", "a", "day", "'tis", "love'",
    ]  # fmt: skip
    words = WordSet(["love", "lover", "loves", "low", "o'er"])
    assert words.next_chars("lo") == "vw" and words.next_chars("love") == "rs"
    assert words.next_chars("o") == "'" and words.next_chars("x") == ""
    assert words.is_prefix("lov") and not words.is_prefix("lx")


def test_a_seed_ending_inside_an_unknown_word_is_finished_freely(generator: Generator) -> None:
    params = SamplingParams(lines=2, words="strict", scheme="AA", best_of=2, rng_seed=1)
    text = generator.generate("we drift xqz", params).texts[0]
    assert text.startswith("we drift xqz") and len(song_lines(text)) == 2
