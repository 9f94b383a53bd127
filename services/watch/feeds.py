"""What a source serves: a CAP document, or an Atom or RSS index whose entries link to CAP
documents (as met services, seismological agencies and civil protections publish them)."""

from urllib.parse import urljoin
from xml.etree.ElementTree import Element

from services.cap.cap_xml import XmlRefused, read_xml

ATOM = "{http://www.w3.org/2005/Atom}"
CAP_TYPES = {"application/cap+xml", "application/common-alerting-protocol+xml"}


class FeedError(ValueError):
    """A source's answer that is neither a feed nor a CAP document."""


def cap_links(raw: bytes, base_url: str) -> list[str] | None:
    """The CAP documents a feed links to, in its order; None when `raw` is itself a CAP
    alert. Read with the parser that reads CAP (no DTD, no entities): a feed is as hostile
    as the documents it lists."""
    try:
        root = read_xml(raw)
    except XmlRefused as exc:
        raise FeedError(str(exc)) from exc
    name = root.tag.rsplit("}", 1)[-1]
    if name == "alert":
        return None
    if root.tag == f"{ATOM}feed":
        links = [_atom_link(entry) for entry in root.iter(f"{ATOM}entry")]
    elif name in ("rss", "RDF"):
        links = [_rss_link(item) for item in root.iter() if item.tag.rsplit("}", 1)[-1] == "item"]
    else:
        raise FeedError(f"neither a feed (Atom, RSS) nor a CAP alert: root element {name!r}")
    return list(dict.fromkeys(urljoin(base_url, link) for link in links if link))


def _atom_link(entry: Element) -> str | None:
    """The entry's link typed as CAP, else its first link (the alternate), else its id where
    that is a URL (the US National Weather Service's entries)."""
    links = entry.findall(f"{ATOM}link")
    for link in links:
        if link.get("type", "").split(";")[0].strip() in CAP_TYPES:
            return link.get("href")
    if links and links[0].get("href"):
        return links[0].get("href")
    entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
    return entry_id if entry_id.startswith(("http://", "https://")) else None


def _rss_link(item: Element) -> str | None:
    """An item's CAP enclosure, else its link."""
    for child in item:
        local = child.tag.rsplit("}", 1)[-1]
        if local == "enclosure" and child.get("type", "") in CAP_TYPES:
            return child.get("url")
    for child in item:
        if child.tag.rsplit("}", 1)[-1] == "link" and (child.text or "").strip():
            return (child.text or "").strip()
    return None
