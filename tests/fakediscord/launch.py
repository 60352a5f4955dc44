"""Run a bot module against the fake Discord, with discord.py itself left unmodified.

    python tests/fakediscord/launch.py <api_base> [--gateway WS_URL] -- <module> [args...]

discord.py hard-codes Discord's hosts in two places, and only the harness may change them:
``discord.http.Route.BASE`` (every REST call, webhooks and interaction callbacks included) and
``DiscordWebSocket.DEFAULT_GATEWAY`` (a plain ``Client`` connects there without asking
``/gateway``, and falls back to it after an invalidated session). Then the module runs as
``python -m <module>`` would run it.
"""

from __future__ import annotations

import os
import runpy
import sys
from urllib.parse import urlsplit

USAGE = "usage: launch.py <api_base> [--gateway WS_URL] -- <module> [args...]"
GATEWAY_PATH = "/gateway-ws/"  # must match fakediscord.rest.GATEWAY_PATH


def parse_args(argv: list[str]) -> tuple[str, str, str, list[str]]:
    """Returns (api_base, gateway_url, module, module_args)."""
    if "--" not in argv:
        raise SystemExit(USAGE)
    split = argv.index("--")
    ours, theirs = argv[:split], argv[split + 1 :]
    if not ours or not theirs:
        raise SystemExit(USAGE)
    api_base = ours[0].rstrip("/")
    gateway = default_gateway(api_base)
    if len(ours) == 3 and ours[1] == "--gateway":
        gateway = ours[2]
    elif len(ours) != 1:
        raise SystemExit(USAGE)
    return api_base, gateway, theirs[0], theirs[1:]


def default_gateway(api_base: str) -> str:
    """The fake serves its websocket on the same host and port as the REST API."""
    parts = urlsplit(api_base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{GATEWAY_PATH}"


def redirect_discord(api_base: str, gateway_url: str) -> None:
    """Points discord.py's REST base and default gateway at the fake."""
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def main(argv: list[str] | None = None) -> None:
    api_base, gateway_url, module, module_args = parse_args(
        list(sys.argv[1:] if argv is None else argv)
    )
    # Like `python -m`: the working directory, not this file's folder, heads sys.path, so the
    # harness's own modules can never shadow the bot's imports.
    sys.path[0] = os.getcwd()
    redirect_discord(api_base, gateway_url)
    sys.argv = [module, *module_args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
