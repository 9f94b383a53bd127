"""The watch (veille): other issuers' official alerts come in from their feeds, are matched
to our people and listed for the duty officer; nobody is told anything until an operator
relays one, and then the people inside the alert's area are."""

import asyncio
import contextlib
import json
import os
import re
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from schemas.delivery import DeadLetter
from schemas.topics import DEAD_LETTERS, EXTERNAL_ALERTS
from services.cap.parse import parse_event
from services.common.bus_reader import read_models
from services.common.config import Settings
from services.common.runtime import make_broker, make_redis
from services.providers import outbox
from services.providers.issuer_feed import dated_now
from services.status.watch_list import watch_view
from services.watch.feeds import FeedError, cap_links
from services.watch.relaying import kind_for
from tests.answer_helpers import eventually
from tests.browser import chromium
from tests.delivery_helpers import settled
from tests.directory_data import feature, marrakech_directory, national, point, write
from tests.feed_server import Issuers, Served, issuers_serving
from tests.helpers import WHOLE_PIPELINE, import_directory, publish, running, vigie

CAP = Path(__file__).parent / "data" / "cap"
THUNDERSTORM = "KSTO1055887203"  # the NWS's warning, a polygon in the Sierra Nevada
FIRE = "tag:www.rfs.nsw.gov.au2011-10-06:40184"  # NSW Rural Fire Service, a circle
CANADA = "2.49.0.1.124.6bddbc91.2012"  # Environment Canada's, pushed on the topic
SF_PHONE = "+14153977330"


def _sierra_directory(today: date) -> list[dict[str, Any]]:
    """The Marrakech directory, and a consulate in San Francisco with two nationals inside
    the thunderstorm's polygon, one in Los Angeles, and a Moroccan resident trekking there."""
    return [
        *marrakech_directory(today),
        feature(
            point(37.79, -122.40),
            kind="post",
            id="CON-SAN-FRANCISCO",
            name="Consulat général San Francisco",
            post_type="consulate",
            country="US",
            district_countries=["US"],
            emergency_phone=SF_PHONE,
        ),
        national("N-SIERRA", 38.48, -119.95, country="US"),
        national("N-SIERRA-EN", 38.50, -119.90, country="US", language="en"),
        national("N-LA", 34.05, -118.24, country="US"),
        feature(
            point(38.47, -119.93),
            kind="trip",
            id="T-TREK",
            national_id="N-CASA",
            country="US",
            start=(today - timedelta(days=1)).isoformat(),
            end=(today + timedelta(days=3)).isoformat(),
        ),
    ]


def _changed(document: bytes, identifier: str, msg_type: str, replaces: bytes) -> bytes:
    """The issuer's next message about an alert: an Update or a Cancel referencing it."""
    event = parse_event(replaces)
    reference = f"{event.sender},{event.identifier},{event.sent.isoformat()}"
    text = document.decode("iso-8859-1")
    text = re.sub(r"(<(?:cap:)?identifier>)[^<]*", rf"\g<1>{identifier}", text, count=1)
    text = re.sub(r"(<(?:cap:)?msgType>)[^<]*", rf"\g<1>{msg_type}", text, count=1)
    text = re.sub(
        r"(<((?:cap:)?)scope>[^<]*</(?:cap:)?scope>)",
        rf"\g<1><\g<2>references>{reference}</\g<2>references>",
        text,
        count=1,
    )
    return text.encode("iso-8859-1")


def _vigie(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return vigie(*args, env={**os.environ, **settings.as_env(), "COLUMNS": "200"})


async def _listed(settings: Settings) -> dict[str, Any]:
    client = make_redis(settings)
    try:
        return await watch_view(client)
    finally:
        await client.aclose()


def _by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {alert["identifier"]: alert for alert in view["alerts"]}


async def test_feeds_fill_the_watch_list_nobody_is_told_until_an_operator_relays(
    settings: Settings, tmp_path: Path, outbox_client: redis.Redis, redis_client: redis.Redis
) -> None:
    await import_directory(
        settings, write(tmp_path / "dir.geojson", _sierra_directory(date.today()))
    )
    now = datetime.now(UTC).replace(microsecond=0)
    storm = dated_now((CAP / "thunderstorm.cap").read_bytes(), now)
    fire = dated_now((CAP / "australia.cap").read_bytes(), now)
    with issuers_serving() as issuers:
        issuers.paths |= {
            "/cap/storm.xml": Served(storm),
            "/cap/fire.xml": Served(fire),
            "/cap/quake-2012.xml": Served((CAP / "earthquake-iso8859-1.cap").read_bytes()),
            "/cap/invalid.xml": Served((CAP / "invalid.cap").read_bytes()),
            "/cap/huge.xml": Served(storm + b"<!--" + b" " * 300_000 + b"-->"),
            "/slow.atom": Served(b"<feed/>", delay_s=3),
        }
        issuers.feed(
            "/nws.atom",
            [f"/cap/{name}.xml" for name in ("storm", "fire", "quake-2012", "invalid", "huge")],
        )
        watched = settings.changed(
            watch_sources=[
                # Its policy: a Severe alert or worse with one of ours inside gets a draft.
                {
                    "name": "nws",
                    "url": issuers.url("/nws.atom"),
                    "interval_s": 1,
                    "draft_severity": "Severe",
                },
                {"name": "slow", "url": issuers.url("/slow.atom"), "interval_s": 1},
            ],
            watch_timeout_s=1.0,
            watch_max_document_bytes=256 * 1024,
        )
        async with running(watched, ["watch", "responses"]):
            # Another system pushes an alert on the topic itself.
            await _push(watched, dated_now((CAP / "canada.cap").read_bytes(), now))
            first = await eventually(
                lambda: _ready(issuers, {"/nws.atom": 304, "/slow.atom": None}),
                "the feed polled again, conditionally, and the slow source tried",
            )
            view = await _listed(watched)
            alerts = _by_id(view)
            # New alerts listed with our people inside; the expired one never; the bad
            # document refused with its reason, the huge one not fetched, the slow source
            # shown as not answering.
            assert set(alerts) == {THUNDERSTORM, FIRE, CANADA}, first
            storm_alert = alerts[THUNDERSTORM]
            assert storm_alert["people"] == 3  # two residents and the trekker
            assert storm_alert["posts"] == {"CON-SAN-FRANCISCO": 3}
            assert storm_alert["issuer"] == "NATIONAL WEATHER SERVICE SACRAMENTO CA"
            assert (storm_alert["severity"], storm_alert["urgency"]) == ("Severe", "Immediate")
            assert (alerts[FIRE]["people"], alerts[FIRE]["draft"]) == (0, None)  # a Minor one
            assert storm_alert["draft"] == "ready"
            assert (alerts[CANADA]["source"], alerts[CANADA]["msg_type"]) == ("bus", "Update")
            sources = {s["name"]: s for s in view["sources"]}
            assert sources["nws"]["answering"]
            assert (
                "huge.xml: 301860 bytes, over the 262144-byte limit"
                in (sources["nws"]["last_refused"])
            )
            assert not sources["slow"]["answering"]
            assert "no complete answer within 1 s" in sources["slow"]["last_error"]
            letters = await read_models(watched, DEAD_LETTERS, DeadLetter)
            assert [(d.stage, "<scope> is missing" in d.reason) for d in letters] == [
                ("watch", True)
            ]

            # The issuer updates the storm warning and cancels the fire.
            storm_update = _changed(storm, f"{THUNDERSTORM}-2", "Update", storm)
            fire_cancel = _changed(fire, "fire-cancelled", "Cancel", fire)
            issuers.paths |= {
                "/cap/storm-2.xml": Served(storm_update),
                "/cap/fire-cancel.xml": Served(fire_cancel),
            }
            issuers.feed("/nws.atom", ["/cap/storm-2.xml", "/cap/fire-cancel.xml"])
            alerts = await _listed_until(watched, {f"{THUNDERSTORM}-2", CANADA})
            assert alerts[f"{THUNDERSTORM}-2"]["replaces"] == [f"KSTO@NWS.NOAA.GOV {THUNDERSTORM}"]
            assert alerts[f"{THUNDERSTORM}-2"]["people"] == 3
            dom = await _watch_page(watched, tmp_path)
        # The watch page, in a browser: the list with its counts, the area on the map.
        assert 'data-loaded="true"' in dom
        row = re.search(rf'<tr data-identifier="{THUNDERSTORM}-2">(.*?)</tr>', dom, re.S)
        assert row and '<td data-people="3">3</td>' in row.group(1)
        assert "CON-SAN-FRANCISCO 3" in row.group(1)
        assert "leaflet-interactive" in dom and "slow : NE RÉPOND PLUS" in dom

        # What the duty officer runs.
        shown = _vigie(watched, "watch", "--json")
        assert shown.returncode == 0, shown.stderr
        listed = json.loads(shown.stdout)
        assert [(a["identifier"], a["sender"], a["people"]) for a in listed["alerts"]] == [
            (f"{THUNDERSTORM}-2", "KSTO@NWS.NOAA.GOV", 3),
            (CANADA, "cap@ec.gc.ca", 0),
        ]
        text = _vigie(watched, "watch", "--once")
        assert "SEVERE THUNDERSTORM" in text.stdout and "3 of our people" in text.stdout
        assert "(CON-SAN-FRANCISCO 3)" in text.stdout
        assert "source slow: NOT ANSWERING" in text.stdout
        assert f"{THUNDERSTORM}-2  DRAFT READY" in text.stdout

    # Nobody was told anything by the watch.
    assert outbox.all_received(outbox_client) == []

    draft_file = tmp_path / "relay.json"
    relayed = _vigie(watched, "relay", f"{THUNDERSTORM}-2", "--out", str(draft_file))
    assert relayed.returncode == 0, relayed.stdout + relayed.stderr
    draft = json.loads(draft_file.read_text())
    assert "{{" not in draft_file.read_text()
    french, english, issuers_own = draft["info"]
    assert (french["language"], english["language"], issuers_own["language"]) == (
        "fr",
        "en",
        "en-us",
    )
    assert "EXTREME NORTH CENTRAL TUOLUMNE COUNTY IN CALIFORNIA" in french["headline"]
    assert SF_PHONE in french["instruction"] and SF_PHONE in english["instruction"]
    assert "NATIONAL WEATHER SERVICE SACRAMENTO CA" in french["description"]
    assert issuers_own["headline"] == "SEVERE THUNDERSTORM WARNING"
    assert issuers_own["web"] == issuers.url("/cap/storm-2.xml")
    preview = _vigie(watched, "publish", "--dry-run", "--json", str(draft_file))
    assert preview.returncode == 0, preview.stdout + preview.stderr

    async with running(watched, WHOLE_PIPELINE):
        await publish(watched, draft_file.read_bytes(), key="relay")
        await settled(redis_client, draft["identifier"])
    sms = {m.to: m for m in outbox.all_received(outbox_client) if m.channel == "sms"}
    reached = {_owner(to) for to in sms}
    assert reached == {"N-SIERRA", "N-SIERRA-EN", "N-CASA"}
    english_sms = sms[_sms_of("N-SIERRA-EN")].body
    assert "Official alert" in english_sms and SF_PHONE in english_sms


async def _push(settings: Settings, document: bytes) -> None:
    producer = make_broker(settings, logger=None)
    await producer.connect()
    try:
        await producer.publish(document, settings.bus.topic(EXTERNAL_ALERTS))
    finally:
        await producer.stop()


async def _watch_page(settings: Settings, tmp_path: Path) -> str:
    assert settings.answers.view_key is not None
    key = settings.answers.view_key.get_secret_value()
    page = f"http://{settings.answers.response_listen}/watch?key={key}"
    async with httpx.AsyncClient() as client:
        deadline = time.monotonic() + 30
        while True:  # the web server starts once the consumers have joined their groups
            with contextlib.suppress(httpx.ConnectError):
                if (await client.get(page)).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the response service never listened"
            await asyncio.sleep(0.2)
        assert (await client.get(page.replace(key, "wrong"))).status_code == 403
    return await chromium("--virtual-time-budget=5000", "--dump-dom", page, user_data=tmp_path)


def _ready(issuers: Issuers, wanted: dict[str, int | None]) -> list[Any] | None:
    """The requests so far, once each path was asked as wanted (an answer, None: any)."""
    seen = issuers.requests
    for path, status in wanted.items():
        if not any(p == path and (status is None or s == status) for p, _, s in seen):
            return None
    return list(seen)


async def _listed_until(settings: Settings, wanted: set[str], timeout_s: float = 30) -> Any:
    """The watch list once it holds exactly these alerts."""
    deadline = time.monotonic() + timeout_s
    while set(alerts := _by_id(await _listed(settings))) != wanted:
        assert time.monotonic() < deadline, f"the watch list stays {sorted(alerts)}"
        await asyncio.sleep(0.2)
    return alerts


def _sms_of(national_id: str) -> str:
    return str(national(national_id, 0, 0)["properties"]["sms"])


def _owner(sms: str) -> str:
    for candidate in ("N-SIERRA", "N-SIERRA-EN", "N-LA", "N-CASA", "N-IN", "N-IN-EN"):
        if _sms_of(candidate) == sms:
            return candidate
    return sms


def test_feeds_of_every_form_give_their_cap_documents() -> None:
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>https://x.gov/a.cap</id>'
        b'<link href="https://x.gov/a.html"/><link type="application/cap+xml" href="a.cap"/>'
        b"</entry><entry><id>https://api.weather.gov/alerts/urn:1</id></entry></feed>"
    )
    assert cap_links(atom, "https://x.gov/feeds/") == [
        "https://x.gov/feeds/a.cap",
        "https://api.weather.gov/alerts/urn:1",
    ]
    rss = b"<rss><channel><item><link>https://y.org/1.xml</link></item></channel></rss>"
    assert cap_links(rss, "https://y.org/") == ["https://y.org/1.xml"]
    assert cap_links((CAP / "thunderstorm.cap").read_bytes(), "https://z/") is None
    # A feed is as hostile as a document: no DTD, no entities.
    with pytest.raises(FeedError, match="forbidden XML construct"):
        cap_links((CAP / "xee.cap").read_bytes().replace(b"alert", b"feed"), "https://z/")
    with pytest.raises(FeedError, match="neither a feed"):
        cap_links(b"<html><body>maintenance</body></html>", "https://z/")


def test_an_alert_is_relayed_in_the_wording_of_its_kind() -> None:
    assert kind_for("Earthquake") == "earthquake"
    assert kind_for("Tropical Cyclone Warning") == "cyclone"
    assert kind_for("Flash Flood Watch") == "flood"
    assert kind_for("SEVERE THUNDERSTORM") == "official_alert"
