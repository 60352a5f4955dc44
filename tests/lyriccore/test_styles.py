"""Style tokens: corpora that name styles, the reserved vocabulary block, and a tiny real model
that starts from the asked style."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from lyriccore.checkpoint import LoadedModel, load_model, read_checkpoint, save_checkpoint
from lyriccore.cli import main
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus, Document, build_corpus, load_corpus, save_documents
from lyriccore.errors import ConfigError, CorpusError, GenerationError
from lyriccore.evaluate import score_corpus
from lyriccore.generator import Generator
from lyriccore.model import LyricsLSTM, ModelConfig
from lyriccore.reference import plain_sample
from lyriccore.sampling import SamplingParams
from lyriccore.seeds import prepare_seed, seed_input
from lyriccore.starter import starter_documents, starter_training_corpus
from lyriccore.tokenizer import build_tokenizer, tokenizer_from_dict
from lyriccore.trainer import Trainer

STYLES = ("blues", "lullaby", "punk")  # the styles of conftest's styled model


@pytest.fixture(scope="module")
def styled_model(styled_model_path: Path) -> LoadedModel:
    return load_model(styled_model_path)


def test_json_csv_and_folders_name_styles(tmp_path: Path) -> None:
    (tmp_path / "Sea Shanty").mkdir()
    (tmp_path / "Sea Shanty" / "a.txt").write_text("haul away\n\n\nroll and go\n")
    items = [{"text": "low down", "genre": "Blues"}, {"lyrics": "hush now"}, "plain string"]
    (tmp_path / "b.json").write_text(json.dumps(items))
    (tmp_path / "c.csv").write_text('lyrics,style\n"shout it",punk\n')
    corpus = load_corpus(tmp_path)
    songs = corpus.songs()
    assert [style for style, _ in songs] == ["sea_shanty", "sea_shanty", "blues", "", "", "punk"]
    assert songs[0][1].startswith("haul away") and songs[2][1].startswith("low down")
    assert corpus.styles == ("blues", "punk", "sea_shanty")


def test_a_corpus_without_styles_trains_as_before(tmp_path: Path) -> None:
    (tmp_path / "songs.txt").write_text("one song\n\n\nanother one\n")
    corpus = load_corpus(tmp_path)
    tokenizer = build_tokenizer("char", corpus.text, styles=corpus.styles)
    assert corpus.song_styles == () and tokenizer.reserved == 1
    assert tokenizer.encode_corpus(corpus).ids == tokenizer.encode(corpus.text)


def test_a_style_that_is_not_text_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps([{"text": "la la", "style": 7}]))
    with pytest.raises(CorpusError, match="item 0: its 'style' must be a string"):
        load_corpus(tmp_path / "bad.json")


def test_styles_change_the_fingerprint_and_survive_a_json_round_trip(tmp_path: Path) -> None:
    songs = [Document("low down\n", "blues"), Document("hush now\n")]
    plain = build_corpus([Document(d.text) for d in songs], ())
    styled = build_corpus(songs, ())
    assert plain.text == styled.text and plain.fingerprint != styled.fingerprint
    save_documents(tmp_path / "saved.json", songs)
    assert load_corpus(tmp_path / "saved.json").fingerprint == styled.fingerprint


def test_style_tokens_are_reserved_and_unreachable_from_text(styled_corpus: Corpus) -> None:
    for level in ("char", "word"):
        tokenizer = build_tokenizer(level, styled_corpus.text, styles=styled_corpus.styles)
        assert tokenizer.styles == STYLES and tokenizer.reserved == 2 + len(STYLES)
        names = ["<style>", "<style:blues>", "<style:lullaby>", "<style:punk>"]
        assert tokenizer.tokens[1:5] == names
        typed = tokenizer.encode("<style:blues> <style>")
        assert all(i == 0 or i >= tokenizer.reserved for i in typed)
        again = tokenizer_from_dict(tokenizer.to_dict())
        assert again.tokens == tokenizer.tokens and again.styles == tokenizer.styles


def test_every_song_of_the_stream_starts_with_its_style(styled_corpus: Corpus) -> None:
    tokenizer = build_tokenizer("char", styled_corpus.text, styles=styled_corpus.styles)
    ids = tokenizer.encode_corpus(styled_corpus).ids
    starts = [i for i, token in enumerate(ids) if token < tokenizer.reserved]
    assert len(starts) == styled_corpus.documents
    assert tokenizer.decode(ids) == styled_corpus.text


def test_the_style_changes_what_the_model_writes_next(styled_model: LoadedModel) -> None:
    """At a song's start the style token is all the model has read; deep into a long seed
    the style vector every step reads still tells the styles apart (a style token alone was
    forgotten after ~170 characters)."""
    tokenizer, model = styled_model.tokenizer, styled_model.model
    assert model.config.style_slots == len(STYLES) + 1
    long_seed = "i walked down to the river and the river walked with me\n" * 6
    for seed, at_least in (("", 1e-2), ("we drift", 1e-3), (long_seed, 1e-3)):
        distributions = []
        for style in (None, *STYLES):
            ids = seed_input(model, tokenizer, prepare_seed(tokenizer, seed, style))
            with torch.inference_mode():
                logits, _ = model(ids)
            distributions.append(torch.softmax(logits[0, -1].float(), dim=-1))
        for i, p in enumerate(distributions):
            for q in distributions[i + 1 :]:
                assert (p - q).abs().sum() > at_least


@pytest.mark.parametrize("weights", ["fp32", "int8"])
def test_requests_in_different_styles_batched_together_write_what_they_would_alone(
    styled_model: LoadedModel, weights: str
) -> None:
    """Each row of a batch reads its own request's style: the served steps (numpy fp32, int8
    through onnxruntime) agree with the torch model's own path, and a neighbour in another
    style changes nothing."""
    asked = [None, *STYLES, "blues"]
    params = [
        SamplingParams(style=style, rng_seed=n, lines=3, samples=1 + n % 2)
        for n, style in enumerate(asked)
    ]
    generator = Generator(styled_model, weights=weights)
    try:
        alone = [generator.generate("we drift", p).texts for p in params]
        together = [generator.submit("we drift", p) for p in params]
        assert [f.result().texts for f in together] == alone
    finally:
        generator.close()
    if weights == "fp32":  # the reference sampler, on the model as the generator serves it
        assert alone == [plain_sample(generator.model, "we drift", p) for p in params]
    assert len({tuple(texts) for texts in alone}) == len(asked)


def test_the_style_strength_moves_styled_answers_only(styled_model: LoadedModel) -> None:
    """Served at another strength, every style's vectors lie that many times as far from the
    generic style's, so an answer in a style changes and one without a style does not; the
    loaded model itself (what held-out songs are scored with) is untouched, and strength 1
    is the model as trained."""
    before = {k: v.clone() for k, v in styled_model.model.state_dict().items()}
    pushed = styled_model.with_style_strength(2.0)
    model, served_model = styled_model.model, pushed.model
    tables = (
        (model.style_head, served_model.style_head),
        (model.style_embed, served_model.style_embed),
    )
    for trained, served in tables:
        assert trained is not None and served is not None
        generic = trained.weight[0]
        torch.testing.assert_close(served.weight - generic, 2 * (trained.weight - generic))
    texts = {}
    for strength in (1.0, 2.0):
        generator = Generator(styled_model, style_strength=strength)
        try:
            texts[strength] = [
                generator.generate("we drift", SamplingParams(style=s, rng_seed=5, lines=3)).texts
                for s in (None, *STYLES)
            ]
        finally:
            generator.close()
    assert texts[1.0][0] == texts[2.0][0]
    assert all(a != b for a, b in zip(texts[1.0][1:], texts[2.0][1:], strict=True))
    assert styled_model.with_style_strength(1.0) is styled_model
    after = styled_model.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    with pytest.raises(ConfigError, match="style strength must be between 0 and 3"):
        styled_model.with_style_strength(-1.0)


def test_songs_that_all_name_a_style_still_train_the_generic_style(
    styled_corpus: Corpus, tiny: dict[str, int], tmp_path: Path
) -> None:
    """Every song of the styled corpus names its style, yet a request without one must read
    a trained vector: a share of the lanes is read as songs of no style. Without that share
    the generic vector never moves from where it started."""
    for share, trained in ((0.5, True), (0.0, False)):
        config = TrainConfig(level="char", generic_share=share, **tiny)
        trainer = Trainer(styled_corpus, config, tmp_path / str(share), progress=False)
        vectors = trainer.model.style_embed
        assert vectors is not None
        before = vectors.weight[0].detach().clone()
        trainer.fit()
        assert (not torch.equal(vectors.weight[0].detach(), before)) == trained


def test_a_model_trained_before_style_vectors_still_serves_its_styles(
    styled_model: LoadedModel, tmp_path: Path
) -> None:
    """Checkpoints of the style-token-only models (no `style_slots`) load, generate in a
    style and score as before."""
    data = read_checkpoint(styled_model.path)
    config = {k: v for k, v in data["model_config"].items() if k != "style_slots"}
    old = LyricsLSTM(ModelConfig.from_dict(config))
    weights = {k: v for k, v in data["state_dict"].items() if not k.startswith("style_")}
    old.load_state_dict(weights)
    save_checkpoint(tmp_path / "best.pt", {
        **data, "model_config": config, "state_dict": old.state_dict(),
    })  # fmt: skip
    loaded = load_model(tmp_path / "best.pt")
    assert loaded.model.style_embed is None and loaded.tokenizer.styles == STYLES
    params = SamplingParams(style="punk", rng_seed=3, lines=2)
    generator = Generator(loaded)
    try:
        assert generator.generate("we drift", params).texts == plain_sample(
            loaded, "we drift", params
        )
    finally:
        generator.close()
    songs = [d for d in starter_documents() if d.style == "punk"][:2]
    assert score_corpus(loaded, build_corpus(songs, ())).loss > 0


def test_an_unknown_style_names_the_known_ones(styled_model: LoadedModel) -> None:
    generator = Generator(styled_model)
    try:
        with pytest.raises(GenerationError, match="unknown style 'polka'; this model knows: "
                           "blues, lullaby, punk"):  # fmt: skip
            generator.submit("we drift", SamplingParams(style="polka"))
    finally:
        generator.close()


def test_a_styled_answer_is_reproducible_and_never_writes_a_style_token(
    styled_model: LoadedModel,
) -> None:
    generator = Generator(styled_model)
    try:
        params = SamplingParams(style="Blues", rng_seed=5, lines=4, samples=3)
        first = generator.generate("we drift", params)
        assert generator.generate("we drift", params).texts == first.texts
        assert not any("<style" in text for text in first.texts)
        assert all(text.startswith("we drift") for text in first.texts)
    finally:
        generator.close()


def test_held_out_songs_are_scored_after_their_own_style(styled_model: LoadedModel) -> None:
    songs = [d for d in starter_documents() if d.style == "punk"][:2]
    own = score_corpus(styled_model, build_corpus(songs, ()))
    generic = score_corpus(styled_model, build_corpus([Document(d.text) for d in songs], ()))
    assert own.loss != generic.loss and own.tokens == generic.tokens


def test_the_starter_corpus_names_its_nineteen_styles() -> None:
    corpus = starter_training_corpus()
    assert len(corpus.styles) == 19 and "sea_shanty" in corpus.styles
    assert len(corpus.song_styles) == corpus.documents


def test_cli_generates_in_a_style_and_refuses_an_unknown_one(
    styled_model: LoadedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(styled_model.path)
    assert main(["info", "--model", path]) == 0
    assert json.loads(capsys.readouterr().out)["styles"] == list(STYLES)
    args = ["generate", "--model", path, "--seed", "we", "--style", "punk", "--lines", "2"]
    assert main(args) == 0
    assert "we" in capsys.readouterr().out
    assert main(["generate", "--model", path, "--style", "polka"]) == 2
    error = capsys.readouterr().err
    assert "unknown style 'polka'; this model knows: blues, lullaby, punk" in error
