"""PgBouncer on a port of its own, in front of the PostgreSQL the tests use."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from tests.faults.postgres import PgTarget
from tests.faults.processes import (
    HOST,
    BinaryMissing,
    FaultTimeout,
    free_port,
    spawn,
    stop,
    wait_until,
)

DEBIAN_PGBOUNCER = Path("/usr/sbin/pgbouncer")
RUN_AS = "nobody"  # PgBouncer refuses to run as root
START_SECONDS = 5.0
PORT_ATTEMPTS = 3


class PoolMode(StrEnum):
    """When PgBouncer gives a server connection back to its pool."""

    SESSION = "session"
    TRANSACTION = "transaction"
    STATEMENT = "statement"


def pgbouncer_binary() -> Path:
    """Return Debian's pgbouncer or raise BinaryMissing."""
    if not DEBIAN_PGBOUNCER.exists():
        raise BinaryMissing(str(DEBIAN_PGBOUNCER), "pgbouncer")
    return DEBIAN_PGBOUNCER


class Pgbouncer:
    """A PgBouncer process with its config, auth file and log in a directory of its own."""

    def __init__(
        self, backend: PgTarget, *, pool_mode: PoolMode = PoolMode.TRANSACTION, pool_size: int = 5,
        ignore_startup_parameters: Sequence[str] = (), binary: Path | None = None,
    ) -> None:  # fmt: skip
        self.backend = backend
        self.pool_mode = pool_mode
        self.pool_size = pool_size
        self.ignored = tuple(ignore_startup_parameters)
        self.binary = binary or pgbouncer_binary()
        self.port = 0
        self.workdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def target(self) -> PgTarget:
        """The backend's database, reached through PgBouncer."""
        return self.backend.via(self.port)

    def start(self, seconds: float = START_SECONDS) -> Pgbouncer:
        """Write the files, start PgBouncer and wait until it listens; clean up if it fails."""
        self.workdir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        try:
            self._start_on_a_free_port(self.workdir, seconds)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_on_a_free_port(self, workdir: Path, seconds: float) -> None:
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            self._launch(workdir)
            try:
                wait_until(self._listening, seconds, f"pgbouncer on port {self.port}")
                return
            except FaultTimeout as error:
                self.stop_process()
                if "in use" not in self.log_text():
                    raise FaultTimeout(f"{error}; log: {self.log_text()[-300:]}") from None
        raise FaultTimeout(f"pgbouncer found no free port in {PORT_ATTEMPTS} attempts")

    def stop_process(self) -> None:
        """Stop PgBouncer (its files stay)."""
        if self._process is not None:
            stop(self._process)

    def stop(self) -> None:
        """Stop PgBouncer and remove its directory."""
        self.stop_process()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_text(self) -> str:
        """Return PgBouncer's log so far."""
        log = self.workdir / "pgbouncer.log" if self.workdir else None
        return log.read_text(errors="replace") if log and log.exists() else ""

    def __enter__(self) -> Pgbouncer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _launch(self, workdir: Path) -> None:
        (workdir / "pgbouncer.ini").write_text(self._config(workdir))
        (workdir / "users.txt").write_text(f'"{self.backend.user}" ""\n')
        argv = [str(self.binary), "-q"]
        if os.geteuid() == 0:
            _hand_over(workdir, RUN_AS)
            argv += ["-u", RUN_AS]
        self._process = spawn([*argv, str(workdir / "pgbouncer.ini")])

    def _config(self, workdir: Path) -> str:
        db = self.backend
        password = f" password={db.password}" if db.password else ""
        return "\n".join([
            "[databases]",
            f"{db.dbname} = host={db.host} port={db.port} dbname={db.dbname}{password}",
            "[pgbouncer]",
            f"listen_addr = {HOST}", f"listen_port = {self.port}", "unix_socket_dir =",
            "auth_type = trust", f"auth_file = {workdir / 'users.txt'}",
            f"pool_mode = {self.pool_mode}", f"default_pool_size = {self.pool_size}",
            "max_client_conn = 100", "server_connect_timeout = 3", "query_wait_timeout = 10",
            f"ignore_startup_parameters = {','.join(self.ignored)}",
            f"logfile = {workdir / 'pgbouncer.log'}", "",
        ])  # fmt: skip

    def _listening(self) -> bool:
        if self._process is None or self._process.poll() is not None:
            raise FaultTimeout(f"pgbouncer exited: {self.log_text()[-300:]}")
        # Its log, not a probe: whatever else holds the port would answer a probe too.
        return f"listening on {HOST}:{self.port}" in self.log_text()


def _hand_over(workdir: Path, user: str) -> None:
    """Give `user` the directory and its files: PgBouncer reads and logs there as that user."""
    account = pwd.getpwnam(user)
    for path in (workdir, *workdir.iterdir()):
        os.chown(path, account.pw_uid, account.pw_gid)
