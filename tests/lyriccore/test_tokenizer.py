import pytest

from lyriccore.errors import CheckpointError
from lyriccore.tokenizer import CharTokenizer, WordTokenizer, tokenizer_from_dict

TEXT = "I walk the line,\nI walk it twice.\n\nDon't you cry\nI walk the line!\n"


def test_char_tokenizer_round_trips_and_reports_unknowns() -> None:
    tok = CharTokenizer.build(TEXT)
    assert tok.decode(tok.encode(TEXT)) == TEXT
    encoded = tok.encode_reporting("walk€z", drop_unknown=True)
    assert tok.decode(encoded.ids) == "walk"
    assert encoded.unknown == ["€", "z"]


def test_word_tokenizer_keeps_newlines_and_punctuation_as_tokens() -> None:
    tok = WordTokenizer.build(TEXT, min_freq=1)
    pieces = tok.split(TEXT)
    assert "\n" in pieces and "," in pieces and "Don't" in pieces
    assert tok.decode(tok.encode(TEXT)) == TEXT.rstrip("\n") + "\n"


def test_word_vocabulary_respects_min_freq_and_max_vocab() -> None:
    tok = WordTokenizer.build(TEXT, min_freq=2)
    assert "walk" in tok.index and "cry" not in tok.index
    assert tok.encode("cry") == [tok.unk_id]
    capped = WordTokenizer.build(TEXT, min_freq=1, max_vocab=4)
    assert capped.vocab_size == 4


def test_vocabulary_survives_serialisation() -> None:
    tok = WordTokenizer.build(TEXT, lowercase=True, min_freq=1)
    again = tokenizer_from_dict(tok.to_dict())
    assert isinstance(again, WordTokenizer)
    assert again.tokens == tok.tokens and again.lowercase
    with pytest.raises(CheckpointError):
        tokenizer_from_dict({"level": "bytes", "tokens": []})
