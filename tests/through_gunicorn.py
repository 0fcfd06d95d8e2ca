"""One request as gunicorn parses it with careerguide/gunicorn.conf.py, answered by the app: what Django's test client
cannot show (the peer's address, the scheme headers gunicorn honours, its access log)."""

import runpy
from pathlib import Path

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.parser import RequestParser

CONFIG_FILE = Path(__file__).resolve().parent.parent / "careerguide" / "gunicorn.conf.py"


class _Socket:
    def sendall(self, data):
        pass


def gunicorn_config(**overrides) -> Config:
    """The settings gunicorn loads from the config file under the current environment, as `make serve` runs it."""
    cfg = Config()
    for name, value in runpy.run_path(str(CONFIG_FILE)).items():
        if name in cfg.settings:
            cfg.set(name, value)
    for name, value in overrides.items():
        cfg.set(name, value)
    return cfg


def parse(cfg: Config, peer: str, path: str, headers=()):
    """(request, response, environ) gunicorn makes of `GET path` sent by `peer` with these headers."""
    raw = f"GET {path} HTTP/1.1\r\nHost: testserver\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    request = next(iter(RequestParser(cfg, [raw.encode("latin-1")], (peer, 50000))))
    response, environ = wsgi.create(request, _Socket(), (peer, 50000), ("127.0.0.1", 8000), cfg)
    return request, response, environ


def answer(environ, response) -> None:
    """Runs the app on the environ into gunicorn's response, keeping the test's database connection open as
    Django's test client does (a real request start and end would close it mid-transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        for chunk in WSGIHandler()(environ, response.start_response):
            response.write(chunk)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
