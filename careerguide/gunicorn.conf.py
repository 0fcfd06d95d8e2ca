"""gunicorn settings for careerguide, used by `make serve` and the Docker image:

    gunicorn -c careerguide/gunicorn.conf.py careerguide.wsgi

Every value can be overridden from the environment (GUNICORN_*), so the image and a host share this file.
"""

import datetime as dt
import json
import os

from gunicorn.glogging import Logger, SafeAtoms

# gunicorn's own messages formatted like the app's, and the same token redaction on every access-log value
from careerguide.logging import JsonFormatter, redact_tokens


def _cpu_count() -> int:
    # The CPUs this process may run on (a container's cpuset), not every CPU of the host. Neither honours a CFS
    # quota (`docker run --cpus`): set GUNICORN_WORKERS there.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# `make serve` listens on loopback only; the image sets GUNICORN_BIND=0.0.0.0:8000.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers, cores + 1: the app is CPU-bound, and on 2 cores 3 workers beat 4 and 8 on throughput and p95
# (bench/README.md, clicks.py). Each worker holds one database connection, so workers x instances must stay
# below PostgreSQL's max_connections.
worker_class = "sync"
workers = int(os.environ.get("GUNICORN_WORKERS") or _cpu_count() + 1)

# Pages take milliseconds; a worker stuck for 30 s is killed and replaced. A database that stops answering without
# refusing costs a request about DATABASE_QUERY_TIMEOUT (1 s), not this (careerguide/database/base.py).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM, in-flight requests get this long; keep it below the orchestrator's stop timeout
# (compose.yaml: stop_grace_period 30s; `docker stop` defaults to 10 s, so use `docker stop -t 30`).
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Sync workers close the connection after each response; this only matters if worker_class is changed.
keepalive = 5

# Load Django once in the master, then fork: workers share its memory pages and start at once, and a broken
# configuration (say, no DJANGO_SECRET_KEY) fails once, in the master, with one traceback, not in every worker.
# Safe here because nothing opens a database or Redis connection at import time; Django connects per worker on
# the first request. The cost: SIGHUP does not load new code, so deploy by restarting.
preload_app = True

# The heartbeat file of each worker: in a container /tmp may be an overlay filesystem whose writes can stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# gunicorn 25+ opens a control socket at ~/.gunicorn/gunicorn.ctl by default: unused here, unwritable for the
# image's user, and two servers on one host would replace each other's. Deploys restart the process instead.
control_socket_disable = True

# Which peers may tell gunicorn the request was HTTPS: the proxies of DJANGO_TRUSTED_PROXIES, the list Django's
# client_ip trusts for X-Forwarded-For (settings.py checks each entry); none by default, not even loopback (gunicorn's
# own default trusts 127.0.0.1, so anything on the host could claim HTTPS). Django has no SECURE_PROXY_SSL_HEADER:
# it takes the scheme gunicorn sets. Only X-Forwarded-Proto, the header the proxy overwrites: gunicorn's defaults
# also read X-Forwarded-Ssl and X-Forwarded-Protocol, which a proxy such as nginx passes on from the client.
forwarded_allow_ips = ",".join(
    proxy.strip() for proxy in os.environ.get("DJANGO_TRUSTED_PROXIES", "").split(",") if proxy.strip()
)
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}


class JsonAtoms(SafeAtoms):
    """Access-log values without tokens (paths, referers: careerguide/logging.py), escaped for a JSON string:
    quotes, backslashes and control characters (a decoded path such as /%22%0A could otherwise break the line or
    forge another one). Redacted before escaping, so an escape cannot split a token."""

    def __init__(self, atoms):
        dict.__init__(self)
        for key, value in atoms.items():
            if isinstance(value, str):
                value = json.dumps(redact_tokens(value))[1:-1]
            elif value is None:
                value = "null"
            self[key] = value


class JsonLogger(Logger):
    atoms_wrapper_class = JsonAtoms

    def now(self):
        return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())


logger_class = JsonLogger
accesslog = "-"  # stdout
errorlog = "-"  # stderr
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# One JSON object a request. The path has no query string (%(U)s: query strings can carry tokens) and its token
# segments redacted (/go/[redacted]/, JsonAtoms), and no client address is logged: we never keep raw IPs.
# request_id is the X-Request-ID header the app sets on each response.
access_log_format = (
    '{"time": "%(t)s", "request_id": "%({x-request-id}o)s", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "bytes": %(B)s, "duration_ms": %(M)s, "user_agent": "%(a)s"}'
)
