"""A stand-in for other countries' official issuers: an Atom feed listing real CAP documents,
served with their times moved to now, so the watch has something to watch with no network."""

import re
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from fastapi import APIRouter, HTTPException, Response

DOCUMENTS = Path(__file__).parent / "issuers"
CAP_TYPE = "application/cap+xml"
_TIME = re.compile(rb"(<(?:cap:)?(sent|effective|onset|expires)>)\s*([^<\s]+)\s*(</)")


def dated_now(document: bytes, now: datetime) -> bytes:
    """The document as if sent now: every time moved by as much as its <sent>."""
    times = {m[2]: datetime.fromisoformat(m[3].decode()) for m in _TIME.finditer(document)}
    if b"sent" not in times:
        return document
    shift = now - times[b"sent"]

    def moved(match: re.Match[bytes]) -> bytes:
        when = datetime.fromisoformat(match[3].decode()) + shift
        return match[1] + when.isoformat(timespec="seconds").encode() + match[4]

    return _TIME.sub(moved, document)


def issuer_feed() -> APIRouter:
    router = APIRouter(prefix="/issuers")
    started = datetime.now(UTC).replace(microsecond=0)

    @router.get("/feed.atom")
    def feed() -> Response:
        entries = "".join(
            f"<entry><id>urn:vigie:local-issuer:{path.stem}</id>"
            f"<title>{escape(path.stem)}</title><updated>{started.isoformat()}</updated>"
            f'<link rel="alternate" type="{CAP_TYPE}" href="cap/{path.name}"/></entry>'
            for path in sorted(DOCUMENTS.glob("*.xml"))
        )
        atom = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:vigie:local-issuers</id>'
            f"<title>Local issuers (real CAP documents, dated now)</title>"
            f"<updated>{started.isoformat()}</updated>{entries}</feed>"
        )
        return Response(atom, media_type="application/atom+xml")

    @router.get("/cap/{name}")
    def document(name: str) -> Response:
        path = DOCUMENTS / name
        if path.parent != DOCUMENTS or not path.is_file():
            raise HTTPException(404, f"no document {name!r}")
        return Response(dated_now(path.read_bytes(), started), media_type=CAP_TYPE)

    return router
