import pytest
import torch

from lyriccore.batching import check_enough, iterate_batches, lanes, split_train_val
from lyriccore.errors import CorpusError


def test_every_position_is_a_target_exactly_once() -> None:
    ids = torch.arange(1001)
    data = lanes(ids, 4)
    seen_targets = []
    for inputs, targets in iterate_batches(data, seq_len=16):
        assert torch.equal(targets[:, :-1], inputs[:, 1:])
        assert inputs.shape == targets.shape
        seen_targets.append(targets)
    targets = torch.cat(seen_targets, dim=1)
    assert targets.shape[1] == data.shape[1] - 1
    assert torch.equal(targets, data[:, 1:])


def test_validation_split_is_contiguous_blocks_that_do_not_overlap() -> None:
    ids = torch.arange(10_000)
    train, val = split_train_val(ids, 0.1, blocks=10)
    assert len(val) == 1000 and len(train) == 9000
    assert not set(train.tolist()) & set(val.tolist())
    gaps = (val[1:] - val[:-1] != 1).sum().item()
    assert gaps == 9  # ten contiguous pieces


def test_one_block_holds_out_exactly_the_last_part() -> None:
    train, val = split_train_val(torch.arange(10_000), 0.1, blocks=1)
    assert torch.equal(train, torch.arange(9000)) and torch.equal(val, torch.arange(9000, 10_000))


def test_a_corpus_shorter_than_one_batch_is_refused_clearly() -> None:
    with pytest.raises(CorpusError, match="one batch needs 6464"):
        check_enough(torch.arange(100), 64, 100, "the training split")
