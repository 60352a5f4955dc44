"""`lyriccore export`: the exported step gives the model's logits, and can serve."""

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from lyriccore.checkpoint import LoadedModel, load_model
from lyriccore.cli import main
from lyriccore.cpu_lstm import CpuState
from lyriccore.errors import CheckpointError
from lyriccore.export import export_onnx, export_torchscript, load_torchscript, onnx_step_for
from lyriccore.styles import STYLE_STRENGTH


@pytest.fixture(scope="module", params=["plain", "styled"])
def loaded(request: pytest.FixtureRequest, char_model: Path) -> LoadedModel:
    """The tiny char model, and one that reads a style at every step."""
    if request.param == "plain":
        return load_model(char_model)
    return load_model(request.getfixturevalue("styled_model_path"))


def _steps(loaded: LoadedModel, rows: int = 3, steps: int = 20) -> list[tuple]:
    """(tokens, h, c, logits, h', c') of the torch model's own step from random states, its
    styles at the strength a generator serves them with, as an export writes them."""
    config, out = loaded.config, []
    served = loaded.with_style_strength(STYLE_STRENGTH).model
    generator = torch.Generator().manual_seed(0)
    h = torch.randn(config.num_layers, rows, config.hidden_size, generator=generator) * 0.5
    c = torch.randn(config.num_layers, rows, config.hidden_size, generator=generator)
    with torch.inference_mode():
        for _ in range(steps):
            ids = config.vocab_size * max(1, config.style_slots)  # token and style (model.py)
            tokens = torch.randint(0, ids, (rows,), generator=generator)
            logits, (h_new, c_new) = served.step(tokens, (h, c))
            out.append((tokens, h, c, logits, h_new, c_new))
            h, c = h_new, c_new
    return out


# int4: a styled model's pushed style vectors (STYLE_STRENGTH) widen the inputs it rounds
@pytest.mark.parametrize(("weights", "tolerance"), [("fp32", 1e-5), ("int8", 0.05), ("int4", 0.12)])
def test_onnx_export_gives_the_models_logits_in_onnxruntime(
    loaded: LoadedModel, tmp_path: Path, weights: str, tolerance: float
) -> None:
    step = onnx_step_for(loaded, export_onnx(loaded, tmp_path / "step.onnx", weights))
    for tokens, h, c, logits, h_new, c_new in _steps(loaded):
        state = CpuState.from_torch((h, c))
        np.testing.assert_allclose(step.step(tokens.numpy(), state), logits, atol=tolerance)
        expected = CpuState.from_torch((h_new, c_new))
        np.testing.assert_allclose(state.h, expected.h, atol=tolerance)
        np.testing.assert_allclose(state.c, expected.c, atol=tolerance)


def test_torchscript_export_gives_the_models_logits(loaded: LoadedModel, tmp_path: Path) -> None:
    scripted = load_torchscript(export_torchscript(loaded, tmp_path / "step.pt"))
    with torch.inference_mode():
        for tokens, h, c, logits, h_new, c_new in _steps(loaded):
            got_logits, got_h, got_c = scripted(tokens, h, c)
            torch.testing.assert_close(got_logits, logits)
            torch.testing.assert_close((got_h, got_c), (h_new, c_new))


def test_generate_serves_the_exported_step_and_refuses_another_models(
    char_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model"
    shutil.copytree(char_model, model)
    assert main(["export", "--model", str(model), "--format", "onnx", "--weights", "int8"]) == 0
    assert (model / "step.onnx").is_file()
    asked = ["generate", "--model", str(model), "--seed", "la", "--rng-seed", "4", "--lines", "3"]
    capsys.readouterr()
    assert main([*asked, "--runtime", "onnx"]) == 0
    from_file = capsys.readouterr().out
    assert main([*asked, "--weights", "int8"]) == 0
    assert capsys.readouterr().out == from_file
    other = tmp_path / "other.onnx"
    export_onnx(dataclasses.replace(load_model(model), version="x"), other)
    with pytest.raises(CheckpointError, match="exported from x"):
        onnx_step_for(load_model(model), other)


def test_a_step_exported_at_another_style_strength_is_refused(
    styled_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The strength changes what a seed writes, so a file made at another is not served; a
    model without styles has no strength to disagree about."""
    model = tmp_path / "model"
    shutil.copytree(styled_model_path, model)
    export = ["export", "--model", str(model), "--format", "onnx", "--style-strength", "1"]
    assert main(export) == 0
    asked = ["generate", "--model", str(model), "--seed", "la", "--style", "punk", "--lines", "2"]
    capsys.readouterr()
    assert main([*asked, "--runtime", "onnx"]) == 2
    assert (
        f"step.onnx was exported at style strength 1, not {STYLE_STRENGTH:g}: export it again "
        f"with --style-strength {STYLE_STRENGTH:g}"
    ) in capsys.readouterr().err
    assert main([*asked, "--runtime", "onnx", "--style-strength", "1"]) == 0
