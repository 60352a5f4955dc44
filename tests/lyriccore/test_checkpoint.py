from pathlib import Path

import pytest
import torch

from lyriccore.checkpoint import BEST, load_model
from lyriccore.errors import CheckpointError


def test_missing_and_truncated_checkpoints_fail_clearly(tmp_path: Path, char_model: Path) -> None:
    with pytest.raises(CheckpointError, match=r"no best\.pt or last\.pt"):
        load_model(tmp_path)
    data = (char_model / BEST).read_bytes()
    (tmp_path / BEST).write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_model(tmp_path)
    for garbage in (b"not a checkpoint at all", b"truncated", b"", b"\x80\x02}q\x00.", data[:64]):
        (tmp_path / BEST).write_bytes(garbage)
        with pytest.raises(CheckpointError, match="corrupt"):
            load_model(tmp_path)


class _Payload:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (Path(self.target),))

    def __init__(self, target: Path) -> None:
        self.target = str(target)


def test_a_pickle_payload_is_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    torch.save({"format": "lyriccore-checkpoint", "x": _Payload(marker)}, tmp_path / BEST)
    with pytest.raises(CheckpointError, match="would run code"):
        load_model(tmp_path)
    assert not marker.exists()


def test_a_foreign_file_is_not_taken_for_a_model(tmp_path: Path) -> None:
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a lyriccore checkpoint"):
        load_model(tmp_path / "other.pt")


def test_a_model_loads_with_its_own_vocabulary_and_sizes(char_model: Path) -> None:
    loaded = load_model(char_model)
    assert loaded.config.hidden_size == 48
    assert loaded.tokenizer.vocab_size == loaded.config.vocab_size
    assert loaded.version.startswith(char_model.name + ":")
    assert not loaded.model.training
