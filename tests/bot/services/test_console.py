import io

from bot.console import Console


async def test_console_runs_the_whole_flow_without_discord(services) -> None:
    out = io.StringIO()
    console = Console(services, out)
    assert await console.handle('/lyrics seed:"we drift" temperature:0.7 lines:2 rng_seed:3')
    assert await console.handle("rate 4")
    assert await console.handle("/stats")
    assert await console.handle("/lyrics seed:x temperature:hot")
    assert await console.handle("/lyrics seed:x bogus:1")
    assert not await console.handle("quit")
    text = out.getvalue()
    assert "we drift" in text and "rng_seed 3" in text
    assert "Rated #1: 4/5" in text
    assert "1 generations, 1 ratings" in text
    assert "`temperature` needs a number" in text
    assert "Unknown option 'bogus'" in text


async def test_console_lyrics_without_options_use_a_preset_shown_by_presets(services) -> None:
    out = io.StringIO()
    console = Console(services, out)
    for line in ("/lyrics seed:x lines:1 rng_seed:4", "rate 5", "/presets pin calm",
                 "/lyrics seed:x lines:1", "/presets", "/presets pin loud"):  # fmt: skip
        assert await console.handle(line)
    text = out.getvalue()
    assert "[preset " in text and "[preset calm  ·  temperature 0.6" in text
    assert "mean 5.00 from 1" in text and "Pinned by an admin: calm" in text
    assert "There is no preset 'loud'" in text
