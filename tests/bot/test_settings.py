from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.settings import DEFAULT_EMOJIS, FIELDS, Settings, SettingsError, load_settings

EXAMPLE = Path(__file__).parents[2] / ".env.example"


def test_env_example_documents_every_setting_and_parses_to_the_defaults() -> None:
    values = {k: v or "" for k, v in dotenv_values(EXAMPLE).items()}
    values["DISCORD_TOKEN"] = "abc"
    settings = load_settings(values)
    assert settings == Settings(token="abc")
    assert {variable for variable, _, _ in FIELDS} <= set(values)
    assert settings.rating_emojis == DEFAULT_EMOJIS


def test_missing_token_and_bad_values_are_one_clear_line() -> None:
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        load_settings({})
    assert load_settings({}, require_token=False).token == ""
    with pytest.raises(SettingsError, match="LYRICBOT_WORKERS='-2' is invalid"):
        load_settings({"DISCORD_TOKEN": "x", "LYRICBOT_WORKERS": "-2"})
    with pytest.raises(SettingsError, match="DISCORD_GUILD_IDS"):
        load_settings({"DISCORD_TOKEN": "x", "DISCORD_GUILD_IDS": "12,abc"})
    with pytest.raises(SettingsError, match="unknown time zone"):
        load_settings({"DISCORD_TOKEN": "x", "LYRICBOT_TIMEZONE": "Mars/Base"})
    with pytest.raises(SettingsError, match=r"LYRICBOT_TRAIN_LAUNCHER=.* closing quotation"):
        load_settings({"DISCORD_TOKEN": "x", "LYRICBOT_TRAIN_LAUNCHER": "srun --job-name 'a"})
    with pytest.raises(SettingsError, match="must be one of auto, fp32, int8"):
        load_settings({"DISCORD_TOKEN": "x", "LYRICBOT_SERVING_WEIGHTS": "fp16"})
    with pytest.raises(SettingsError, match="style strength must be between 0 and 3, not 5"):
        load_settings({"DISCORD_TOKEN": "x", "LYRICBOT_STYLE_STRENGTH": "5"})


def test_an_unknown_or_renamed_variable_is_named_not_ignored() -> None:
    renamed = "LYRICBOT_TORCH_THREADS is not a lyricbot setting; did you mean LYRICBOT_GENERATION"
    with pytest.raises(SettingsError, match=renamed):
        load_settings({"DISCORD_TOKEN": "x", "LYRICBOT_TORCH_THREADS": "2"})
    with pytest.raises(
        SettingsError,
        match="LYRICBOT_WORKRS is not a lyricbot setting; did you mean LYRICBOT_WORKERS",
    ):
        load_settings({"DISCORD_TOKEN": "x", "LYRICBOT_WORKRS": "8"})
    with pytest.raises(SettingsError, match="LYRICBOT_ZZZ is not a lyricbot setting"):
        load_settings({"DISCORD_TOKEN": "x", "LYRICBOT_ZZZ": "1"})


def test_the_token_never_appears_in_a_repr() -> None:
    settings = load_settings({"DISCORD_TOKEN": "super-secret-token"})
    assert "super-secret-token" not in repr(settings)


def test_shards_need_their_total_and_a_bad_database_url_keeps_its_password() -> None:
    with pytest.raises(SettingsError, match="needs LYRICBOT_SHARD_COUNT"):
        load_settings({"DISCORD_TOKEN": "abc", "LYRICBOT_SHARDS": "0,1"})
    with pytest.raises(SettingsError, match="each below the shard count 2"):
        load_settings(
            {"DISCORD_TOKEN": "abc", "LYRICBOT_SHARDS": "1,2", "LYRICBOT_SHARD_COUNT": "2"}
        )
    sharded = load_settings(
        {"DISCORD_TOKEN": "a", "LYRICBOT_SHARDS": "1", "LYRICBOT_SHARD_COUNT": "2"}
    )
    assert (
        sharded.sharded
        and sharded.shard_ids == (1,)
        and not load_settings({"DISCORD_TOKEN": "a"}).sharded
    )
    with pytest.raises(SettingsError) as raised:
        load_settings({"DISCORD_TOKEN": "abc", "LYRICBOT_DATABASE_URL": "mysql://u:hunter2@h/db"})
    assert "hunter2" not in str(raised.value) and "mysql://" in str(raised.value)
    url = "postgresql://u:hunter2@db:5432/lyricbot"
    assert "hunter2" not in repr(
        load_settings({"DISCORD_TOKEN": "a", "LYRICBOT_DATABASE_URL": url})
    )
