"""A partner's feed server for tests (tests/courses/test_feed_pulls.py, tests/test_jobs.py) and its rows."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def rows(count, *, start=0, **extra):
    """`count` valid feed rows, item-<start> onwards."""
    return [
        {
            "external_id": f"item-{n}",
            "kind": "course",
            "title": f"Feed course number {n}",
            "url": f"https://learn.example.com/{n}",
            **extra,
        }
        for n in range(start, start + count)
    ]


def jsonl(records) -> bytes:
    return "".join(json.dumps(record) + "\n" for record in records).encode()


class FeedServer:
    """A partner's feed server: `respond` sets what the next requests get; `requests` keeps their headers."""

    def __init__(self):
        self.body, self.status, self.headers, self.behaviour = b"", 200, {}, ""
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(dict(self.headers))
                etag = server.headers.get("ETag")
                if server.status == 200 and etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(server.status)
                for name, value in server.headers.items():
                    self.send_header(name, value)
                body = server.body
                declared = len(body) * 2 if server.behaviour == "truncate" else len(body)
                self.send_header("Content-Length", str(declared))
                self.end_headers()
                if server.behaviour == "stall":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    time.sleep(2)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/catalog.jsonl"

    def respond(self, body=b"", *, status=200, headers=None, behaviour=""):
        self.body, self.status, self.headers, self.behaviour = body, status, headers or {}, behaviour

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
