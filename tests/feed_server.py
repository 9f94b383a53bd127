"""A local HTTP server standing in for other issuers: feeds and CAP documents at paths the
test sets, answering conditional requests with 304, and slow where told."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from tests.helpers import serving_in_a_thread


@dataclass
class Served:
    body: bytes
    content_type: str = "application/cap+xml"
    delay_s: float = 0.0


@dataclass
class Issuers:
    port: int = 0
    paths: dict[str, Served] = field(default_factory=dict)
    # (path, If-None-Match sent, status answered), in order
    requests: list[tuple[str, str | None, int]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def feed(self, path: str, documents: list[str]) -> None:
        """An Atom feed at `path` whose entries link to these documents (relative links,
        as issuers write them)."""
        entries = "".join(
            f"<entry><id>urn:test:{escape(d)}</id><title>{escape(d)}</title>"
            f'<link rel="alternate" type="application/cap+xml" href="{escape(d.lstrip("/"))}"/>'
            f"</entry>"
            for d in documents
        )
        atom = f'<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:test</id>{entries}</feed>'
        self.paths[path] = Served(atom.encode(), "application/atom+xml")


@contextmanager
def issuers_serving() -> Iterator[Issuers]:
    issuers = Issuers()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served = issuers.paths.get(self.path)
            if served is None:
                self.send_error(404)
                issuers.requests.append((self.path, None, 404))
                return
            time.sleep(served.delay_s)
            etag = f'"{hash(served.body) & 0xFFFFFFFF:x}"'
            asked = self.headers.get("If-None-Match")
            status = 304 if asked == etag else 200
            issuers.requests.append((self.path, asked, status))
            self.send_response(status)
            self.send_header("ETag", etag)
            if status == 304:
                self.end_headers()
                return
            self.send_header("Content-Type", served.content_type)
            self.send_header("Content-Length", str(len(served.body)))
            self.end_headers()
            self.wfile.write(served.body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a client that gave up (a document over its size limit) is no error

    server = Server(("127.0.0.1", 0), Handler)
    issuers.port = server.server_address[1]
    with serving_in_a_thread(server):
        yield issuers
