"""Running well: the health endpoint and a graceful stop, through the real bot process."""

from __future__ import annotations

import asyncio
import shutil

from fakediscord import FakeDiscord, fetch, free_port


async def test_health_reports_gateway_model_queue_and_loop_lag(
    discord: FakeDiscord, start_bot
) -> None:
    port = free_port()
    async with start_bot(LYRICBOT_HEALTH_PORT=str(port)):
        await discord.wait_until_connected(30)
        url = f"http://127.0.0.1:{port}/health"
        for _ in range(100):
            status, body = await asyncio.to_thread(fetch, url)
            if body["gateway_connected"]:
                break
            await asyncio.sleep(0.1)
        assert status == 200 and body["healthy"] and body["model_loaded"]
        assert body["queue_depth"] == 0 and body["serving_model"] == "starter"
        assert body["generating_rows"] == 0
        lag = body["loop_lag_ms"]  # the loop's lateness, sampled every 50 ms since start-up
        assert lag["samples"] > 0 and 0 <= lag["p50"] <= lag["p99"] <= lag["max"]


async def test_sigterm_finishes_running_answers_and_exits_cleanly(
    discord: FakeDiscord, start_bot, models_dir, slow_model
) -> None:
    shutil.copytree(slow_model, models_dir / "slow")
    async with start_bot(
        LYRICBOT_DEFAULT_MODEL="slow", LYRICBOT_HEALTH_PORT="0", LYRICBOT_SERVING_WEIGHTS="fp32"
    ) as process:
        interaction = await discord.invoke_slash("lyrics", {"seed": "last song", "lines": 3})
        await interaction.wait_for_callback(15)
        code = await process.terminate(timeout=30)
        assert code == 0
        reply = await interaction.wait_for_reply(5, lambda m: "Machine-generated" in m.content)
        assert reply.content.startswith("**last song**")
        assert "stopped cleanly" in process.log_text()
