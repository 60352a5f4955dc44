"""The deploy files checked as far as this machine allows (no container engine here)."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TORCH_PIN = re.compile(r"torch==([\d.]+)")


def test_docker_installs_what_the_readme_installs() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    pins = set(TORCH_PIN.findall(dockerfile)) | set(TORCH_PIN.findall(makefile))
    assert len(pins) == 1, f"the Dockerfile and Makefile pin different torch versions: {pins}"
    requirements = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch_range = next(r for r in requirements["dependencies"] if r.startswith("torch"))
    assert pins.pop() in SpecifierSet(torch_range.removeprefix("torch"))
    assert "download.pytorch.org/whl/cpu" in dockerfile and "pip install ." in dockerfile
    assert (
        "make install" in (ROOT / "README.md").read_text()
        or "make run" in (ROOT / "README.md").read_text()
    )


def test_container_runs_unprivileged_with_data_on_a_volume_and_a_health_check() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^USER lyricbot$", dockerfile, re.M)
    assert 'VOLUME ["/data"]' in dockerfile
    port = Settings(token="x").health_port
    assert f"127.0.0.1:{port}/health" in dockerfile and f"LYRICBOT_HEALTH_PORT={port}" in dockerfile
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    service = compose["services"]["lyricbot"]
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert service["env_file"] == "../.env"
    assert any(v.endswith(":/data") for v in service["volumes"])
    assert int(service["stop_grace_period"].rstrip("s")) >= 20


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_systemd_unit_parses(tmp_path: Path) -> None:
    unit = (DEPLOY / "lyricbot.service").read_text()
    assert "Restart=on-failure" in unit and "ProtectSystem=strict" in unit
    assert "NoNewPrivileges=yes" in unit
    # verify needs the ExecStart binary to exist; everything else is checked as written
    checked = tmp_path / "lyricbot.service"
    checked.write_text(unit.replace("/opt/lyricbot/.venv/bin/lyricbot", "/bin/true"))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(checked)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_postgres_compose_runs_two_shards_on_one_database() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.postgres.yaml").read_text())
    services, server = compose["services"], compose["services"]["postgres"]
    bots = [services["lyricbot-0"], services["lyricbot-1"]]
    assert [b["environment"]["LYRICBOT_SHARDS"] for b in bots] == ["0", "1"]
    assert {b["environment"]["LYRICBOT_SHARD_COUNT"] for b in bots} == {"2"}
    urls = {b["environment"]["LYRICBOT_DATABASE_URL"] for b in bots}
    assert len(urls) == 1 and urls.pop().endswith("@postgres:5432/lyricbot")
    assert all(b["depends_on"]["postgres"]["condition"] == "service_healthy" for b in bots)
    assert len({v for b in bots for v in b["volumes"]}) == 1  # one models folder for both
    assert server["environment"]["POSTGRES_DB"] == "lyricbot"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in server["volumes"])
