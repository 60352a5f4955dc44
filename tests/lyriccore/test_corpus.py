import json
from pathlib import Path

import pytest

from lyriccore.corpus import corpus_fingerprint, load_corpus, normalise
from lyriccore.errors import CorpusError


def test_normalise_keeps_lines_and_stanzas_but_unifies_the_rest() -> None:
    raw = "Cafe\u0301  lights\r\n  burn low \r\n\r\n\r\n\r\n\r\nsecond\tverse\x07 here\r"
    assert normalise(raw) == "Caf\u00e9 lights\nburn low\n\n\nsecond verse here\n"


def test_normalise_optionally_lowercases_and_drops_blank_documents() -> None:
    assert normalise("Hello World", lowercase=True) == "hello world\n"
    assert normalise(" \n\t\n") == ""


def test_txt_json_csv_and_folder_load_the_same_songs(tmp_path: Path) -> None:
    songs = ["first song\nline two", "second song\n\nnew stanza"]
    (tmp_path / "a.txt").write_text("\n\n\n".join(songs), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(songs), encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps([{"lyrics": songs[0]}, {"text": songs[1]}]))
    csv_rows = 'title,words\nx,"first song\nline two"\ny,"second song\n\nnew stanza"\n'
    (tmp_path / "d.csv").write_text(csv_rows, encoding="utf-8")
    expected = "first song\nline two\n\n\nsecond song\n\nnew stanza\n"
    for name in ("a.txt", "b.json", "c.json"):
        assert load_corpus(tmp_path / name).text == expected
    assert load_corpus(tmp_path / "d.csv", column="words").text == expected
    folder = load_corpus(tmp_path, column="words")
    assert folder.documents == 8
    assert folder.text.count("first song") == 4


def test_fingerprint_follows_text_and_settings(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Some Words\n")
    plain, lower = load_corpus(tmp_path), load_corpus(tmp_path, lowercase=True)
    assert plain.fingerprint == load_corpus(tmp_path / "a.txt").fingerprint
    assert plain.fingerprint != lower.fingerprint
    assert lower.fingerprint != corpus_fingerprint("some words\n", lowercase=False)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", "  \n\n", "corpus is empty"),
        ("bad.json", "{not json", "invalid JSON"),
        ("obj.json", '{"a": 1}', "expected a JSON list"),
        ("items.json", "[1, 2]", "item 0"),
        ("rows.csv", "title,body\nx,y\n", "no column named 'lyrics' or 'text'"),
    ],
)
def test_bad_corpora_say_what_is_wrong(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path / name)


def test_missing_non_utf8_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope.txt")
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(CorpusError, match="not UTF-8"):
        load_corpus(tmp_path / "latin.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match=r"no \.txt, \.json or \.csv"):
        load_corpus(tmp_path / "empty")


def test_starter_corpus_is_shipped_original_and_big_enough(starter_corpus) -> None:
    assert len(starter_corpus.text.encode()) >= 30_000
    assert len(starter_corpus.sources) >= 5
    assert starter_corpus.documents >= 50
