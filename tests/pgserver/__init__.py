"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package, started in a
temporary data folder on 127.0.0.1 with ``pg_ctl``, one server per test session.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user the
package creates. Durability is switched off (``fsync``, ``synchronous_commit``): a test
server that loses its data in a power cut loses nothing, and creating a database per test
then takes milliseconds. Without the package the tests that need it fail with one line
saying how to install it; they are never skipped.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL is not installed: `apt-get install -y postgresql` (Debian's package; "
    ".ci/run installs it). The PostgreSQL tests need a real server and do not skip."
)


class PostgresMissing(RuntimeError):
    """The server binaries are absent or would not start."""


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str = "postgres"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_major)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresMissing(INSTALL_HINT)


def _major(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _as_server_user(command: Sequence[str]) -> list[str]:
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(command: Sequence[str]) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PostgresMissing(f"{command[0]} failed: {done.stderr.strip() or done.stdout}")


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a throwaway server and stop it (and delete its files) on exit."""
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="lyricbot-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data, port = root / "data", _free_port()
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--no-sync", "--locale=C"])  # fmt: skip
        options = (f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off"
                   " -c full_page_writes=off -c max_connections=200")  # fmt: skip
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
              "-l", str(root / "server.log"), "-w", "-t", "60", "start"])  # fmt: skip
        try:
            yield PostgresServer("127.0.0.1", port)
        finally:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
