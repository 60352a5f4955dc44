"""AWD-LSTM's regularisers and the averaged weights: each one's defining property, serving a
model trained with all of them, and exact resume with all of them on."""

from pathlib import Path

import numpy as np
import pytest
import torch

from lyriccore.averaging import WeightAverage
from lyriccore.batching import iterate_batches
from lyriccore.checkpoint import BEST, LAST, load_model, read_checkpoint
from lyriccore.config import TrainConfig
from lyriccore.corpus import Corpus
from lyriccore.cpu_lstm import CpuLSTM
from lyriccore.model import LyricsLSTM, ModelConfig
from lyriccore.trainer import Trainer, token_loss, train

EVERY_OPTION = {
    "tie_weights": True, "input_dropout": 0.1, "embed_dropout": 0.1, "weight_drop": 0.3,
    "ar": 1.0, "tar": 1.0, "vary_seq_len": True, "average": "ema", "average_decay": 0.9,
}  # fmt: skip


@pytest.fixture(scope="module")
def every_option_model(
    tmp_path_factory: pytest.TempPathFactory, small_corpus: Corpus, tiny: dict[str, int]
) -> Path:
    out = tmp_path_factory.mktemp("every-option")
    train(small_corpus, TrainConfig(**tiny, **EVERY_OPTION), out, progress=False)
    return out


def test_weight_drop_changes_w_hh_every_batch_in_training_and_never_in_eval() -> None:
    model = LyricsLSTM(ModelConfig(vocab_size=30, embed_dim=8, hidden_size=16, weight_drop=0.5))
    weight = model.lstm.weight_hh_l1
    first, second = model.layer_weights(1)[1], model.layer_weights(1)[1]
    assert not torch.equal(first, weight) and not torch.equal(first, second)
    zeroed = first == 0
    assert 0.3 < zeroed.float().mean() < 0.7  # about half the connections dropped,
    assert torch.allclose(first[~zeroed], weight[~zeroed] * 2)  # the rest scaled by 1/(1-p)
    model.eval()
    assert model.layer_weights(1)[1] is weight
    tokens = torch.randint(0, 30, (2, 6))
    assert torch.equal(model(tokens)[0], model(tokens)[0])


def test_embedding_dropout_drops_whole_tokens() -> None:
    model = LyricsLSTM(ModelConfig(vocab_size=10, embed_dim=8, hidden_size=8, embed_dropout=0.5))
    tokens = torch.arange(10).repeat(3)  # every token three times
    rows = model._embed(tokens).view(3, 10, 8)
    assert torch.equal(rows[0], rows[1]) and torch.equal(rows[0], rows[2])  # one mask a batch
    dropped = (rows[0] == 0).all(dim=1)
    assert dropped.any() and not dropped.all()
    assert torch.allclose(rows[0][~dropped], model.embed.weight[~dropped] * 2)


def test_tied_weights_share_storage_also_through_a_projection(every_option_model: Path) -> None:
    for config in (
        ModelConfig(vocab_size=30, embed_dim=16, hidden_size=16, tie_weights=True),
        ModelConfig(vocab_size=30, embed_dim=8, hidden_size=16, tie_weights=True),
    ):
        model = LyricsLSTM(config)
        assert model.head.weight.data_ptr() == model.embed.weight.data_ptr()
        assert (model.proj is not None) == (config.embed_dim != config.hidden_size)
    loaded = load_model(every_option_model).model
    assert loaded.proj is not None
    assert loaded.head.weight.data_ptr() == loaded.embed.weight.data_ptr()


def test_averaged_weights_are_the_mean_or_the_ema_of_the_snapshots() -> None:
    model = torch.nn.Linear(3, 2)
    snapshots = [torch.randn(2, 3) for _ in range(5)]
    mean, ema = WeightAverage(model, "mean", 0.9), WeightAverage(model, "ema", 0.6)
    snapshots *= 5  # 25 steps: the EMA's warm-up rate falls below 1 - decay at step 16
    expected = snapshots[0]
    for n, snapshot in enumerate(snapshots, start=1):
        model.weight.data.copy_(snapshot)
        mean.update()
        ema.update()
        rate = max(1 - 0.6, min(1, 10 / (n + 9)))  # the last tenth of the steps, then 1 - decay
        expected = expected + rate * (snapshot - expected)
    assert torch.allclose(mean.averaged[0], torch.stack(snapshots).mean(0), atol=1e-6)
    assert torch.allclose(ema.averaged[0], expected, atol=1e-6)
    with mean.swapped_in():
        assert torch.equal(model.weight, mean.averaged[0])
    assert torch.equal(model.weight, snapshots[-1])  # the raw weights are back


def test_ar_and_tar_add_their_penalties_to_the_loss(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    trainer = Trainer(small_corpus, TrainConfig(**tiny, ar=2.0, tar=3.0), tmp_path)
    inputs, targets = next(iterate_batches(trainer.train_data, 16))
    torch.manual_seed(0)
    loss, _ = trainer._loss(inputs, targets, None)
    torch.manual_seed(0)
    raw, _ = trainer.model.features(inputs)
    dropped = trainer.model.drop_output(raw)
    expected = (
        token_loss(trainer.model.logits(dropped, inputs), targets)
        + 2.0 * dropped.pow(2).mean()
        + 3.0 * (raw[1:] - raw[:-1]).pow(2).mean()
    )
    assert torch.allclose(loss, expected)


def test_tar_on_a_one_step_window_leaves_the_loss_finite(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    """An epoch's last window can be one token long: no step-to-step change to penalise, and
    the epoch's reported training loss must not turn into nan."""
    trainer = Trainer(small_corpus, TrainConfig(**tiny, tar=3.0), tmp_path)
    inputs, targets = next(iterate_batches(trainer.train_data, 1))
    loss, _ = trainer._loss(inputs, targets, None)
    assert inputs.size(1) == 1 and torch.isfinite(loss)


def test_varied_windows_cover_every_position_once() -> None:
    data = torch.arange(2 * 500).view(2, 500)
    gen = torch.Generator().manual_seed(3)
    windows = list(iterate_batches(data, 20, offset=7, vary=gen))
    lengths = {inputs.size(1) for inputs, _ in windows}
    assert len(lengths) > 3 and max(lengths) <= 30
    assert torch.equal(torch.cat([x for x, _ in windows], dim=1), data[:, 7:-1])
    assert all(torch.equal(y, x + 1) for x, y in windows)


def test_best_serves_whichever_of_the_averaged_and_raw_weights_validated_better(
    every_option_model: Path,
) -> None:
    last = read_checkpoint(every_option_model / LAST)
    best = read_checkpoint(every_option_model / BEST)
    assert best["metrics"] == last["metrics"]  # the last epoch was the best here
    scores = best["metrics"][-1]
    averaged_won = scores["val_loss_averaged"] < scores["val_loss_raw"]
    assert scores["val_loss"] == min(scores["val_loss_averaged"], scores["val_loss_raw"])
    model = LyricsLSTM(ModelConfig.from_dict(best["model_config"]))
    model.load_state_dict(last["state_dict"])
    raw = [p.detach().clone() for p in model.parameters()]
    model.load_state_dict(best["state_dict"])
    served = list(model.parameters())
    expected = last["average"]["averaged"] if averaged_won else raw
    assert all(torch.equal(p, e) for p, e in zip(served, expected, strict=True))


def test_averaged_weights_that_validate_better_are_what_best_serves(
    tmp_path: Path, small_corpus: Corpus, tiny: dict[str, int]
) -> None:
    trainer = Trainer(small_corpus, TrainConfig(**tiny, average="mean"), tmp_path)
    trainer.average.update()  # the average: the weights as they are now
    with torch.no_grad():
        for p in trainer.model.parameters():
            p.add_(torch.randn_like(p) * 3)  # raw weights far worse than their average
    metrics = trainer._validate(train_loss=0.0, tokens=1, seconds=1.0)
    trainer._after_epoch(metrics)
    assert metrics.val_loss == metrics.val_loss_averaged < metrics.val_loss_raw
    best = read_checkpoint(tmp_path / BEST)["state_dict"]
    assert torch.equal(best["lstm.weight_hh_l0"], trainer.average.averaged[2])
    assert not torch.equal(best["lstm.weight_hh_l0"], trainer.model.lstm.weight_hh_l0)


def test_serving_a_model_trained_with_every_option_matches_torch(
    every_option_model: Path,
) -> None:
    model = load_model(every_option_model).model
    tokens = torch.randint(
        0, model.config.vocab_size, (3, 30), generator=torch.Generator().manual_seed(1)
    )
    with torch.inference_mode():
        full, state = model(tokens[:, :-1])
        stepped, _ = model.step(tokens[:, -1], state)
    cpu = CpuLSTM(model)
    rows = cpu.initial_state(3)
    served = np.stack([cpu.step(tokens[:, t].numpy(), rows) for t in range(30)], axis=1)
    np.testing.assert_allclose(served[:, :-1], full.numpy(), atol=1e-5)
    np.testing.assert_allclose(served[:, -1], stepped.numpy(), atol=1e-5)


def test_resume_is_exact_with_every_option_on(
    tmp_path: Path, small_corpus: Corpus, every_option_model: Path, tiny: dict[str, int]
) -> None:
    first = TrainConfig(**{**tiny, "epochs": 1}, **EVERY_OPTION)
    train(small_corpus, first, tmp_path, progress=False)
    train(small_corpus, TrainConfig(**tiny, **EVERY_OPTION), tmp_path, resume=True, progress=False)
    resumed, straight = read_checkpoint(tmp_path / LAST), read_checkpoint(every_option_model / LAST)
    assert resumed["metrics"] == [
        {**m, "epoch_seconds": r["epoch_seconds"], "tokens_per_s": r["tokens_per_s"]}
        for m, r in zip(straight["metrics"], resumed["metrics"], strict=True)
    ]
    assert all(torch.equal(resumed["state_dict"][k], v) for k, v in straight["state_dict"].items())
    pairs = zip(resumed["average"]["averaged"], straight["average"]["averaged"], strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


def test_a_run_saved_before_the_regularisers_resumes_without_them() -> None:
    saved = TrainConfig(level="char").resolved().to_dict()
    for name in ("input_dropout", "embed_dropout", "weight_drop", "ar", "tar", "vary_seq_len"):
        del saved[name]
    old = TrainConfig.from_saved(saved).resolved()
    assert (old.weight_drop, old.ar, old.vary_seq_len) == (0.0, 0.0, False)
    new = TrainConfig(level="char").resolved()
    assert (new.weight_drop, new.ar, new.vary_seq_len) == (0.2, 2.0, True)
    assert TrainConfig(level="word").resolved().weight_drop == 0.0
