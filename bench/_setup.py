"""Shared set-up for bench scripts: a separate benchmark database per backend, and Django configured for it."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")
GUNICORN_CONF = ROOT / "careerguide" / "gunicorn.conf.py"
ACCESS_LOG_FORMAT = "%(m)s %(U)s %(s)s %(D)s"  # method, path, status, microseconds: what the scripts' parsers read


def django_for(backend: str, *, database: str = "careerguide_bench") -> None:
    """Configure Django for a benchmark database of `backend`, creating it if needed.

    Each script keeps its own database, so one script's writes (and dead rows) never skew another's figures.
    """
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = f"{POSTGRES_SERVER}/{database}" if backend == "postgresql" else f"sqlite:///{BENCH_DIR / database}.sqlite3"
    if backend == "postgresql":
        name = url.rsplit("/", 1)[1]
        server = url.rsplit("/", 1)[0]
        exists = subprocess.run(
            ["psql", f"{server}/postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not exists:
            subprocess.run(["psql", f"{server}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerguide.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def run_per_backend(script: str, backends: list[str], extra_args: list[str]) -> None:
    """Run `script --worker BACKEND` in a fresh process per backend (Django settings are per process)."""
    for backend in backends:
        subprocess.run([sys.executable, script, "--worker", backend, *extra_args], check=True)


def free_port() -> int:
    """A loopback port nobody listens on right now, for a server a script starts: any, or the first free one of
    BENCH_PORTS (e.g. 8131-8139) on machines where servers may only listen on given ports.
    """
    first, _, last = os.environ.get("BENCH_PORTS", "0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def stop(process: subprocess.Popen) -> None:
    """Stop a server a script started: politely, then for good after 20 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ready(process: subprocess.Popen, log: Path, ready: Callable[[], bool]) -> None:
    """Wait up to 30 s for a server this script started to pass `ready()` (connection errors count as not yet);
    fail with the end of its log if it exits or never does.
    """
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if ready():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{process.args[0]} did not answer in 30 s:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)


def start_gunicorn(tmp: Path, workers: int) -> tuple[subprocess.Popen, int, Path]:
    """gunicorn with the project's own config (production settings from the environment) on a free loopback port,
    logging each request as ACCESS_LOG_FORMAT. Returns the process (the caller stops it), its port and the access
    log; its own output goes to tmp/gunicorn.log."""
    port, log = free_port(), tmp / "access.log"
    env = dict(os.environ, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers))
    command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "careerguide.wsgi",
               "--access-logfile", str(log), "--access-logformat", ACCESS_LOG_FORMAT]  # fmt: skip
    with (tmp / "gunicorn.log").open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, port, log
