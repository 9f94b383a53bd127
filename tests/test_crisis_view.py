"""What the crisis centre watches: the live terminal view and the read-only crisis page
with its map, in a real headless Chromium."""

import asyncio
import json
import os
import re
import signal
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
import redis

from services.common.config import Settings
from tests.browser import chromium
from tests.delivery_helpers import settled
from tests.directory_data import marrakech_directory, write
from tests.events import event_json
from tests.helpers import import_directory, publish, running

ROOT = Path(__file__).parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PIPELINE = ["ingest", "resolver", "dispatcher", "dispatcher-priority", "leaders", "responses"]
HOSTILE_ISLAND = "Ilot <img src=x onerror=alert(1)><b>bold</b>"
HOSTILE_POST = "Consulat </script><script>alert(2)</script>"


async def _crisis(settings: Settings, tmp_path: Path, redis_client: redis.Redis) -> None:
    """The Marrakech crisis, its island and post named as an attacker would name them."""
    rows = marrakech_directory(date.today())
    for row in rows:
        if row["properties"].get("id") == "ISL-INSIDE":
            row["properties"]["name"] = HOSTILE_ISLAND
        if row["properties"].get("id") == "CON-MARRAKECH":
            row["properties"]["name"] = HOSTILE_POST
    await import_directory(settings, write(tmp_path / "hostile.geojson", rows))
    await publish(settings, event_json("QUAKE-V"))
    await settled(redis_client, "QUAKE-V")


async def _answers(client: httpx.AsyncClient, url: str) -> bool:
    try:
        await client.get(url)
    except httpx.ConnectError:
        return False
    return True


async def test_the_crisis_page_shows_the_crisis_with_its_map_in_chromium(
    settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    assert settings.answers.view_key is not None
    base = f"http://{settings.answers.response_listen}/crisis/QUAKE-V"
    key = settings.answers.view_key.get_secret_value()
    async with running(settings, PIPELINE):
        await _crisis(settings, tmp_path, redis_client)
        async with httpx.AsyncClient() as client:
            # The web server starts once every consumer has joined its group; the alerts
            # may all be out before then.
            deadline = time.monotonic() + 30
            while not await _answers(client, base):
                assert time.monotonic() < deadline, "the response service never listened"
                await asyncio.sleep(0.2)
            assert (await client.get(f"{base}?key=wrong")).status_code == 403
            # The leaders service takes the islands in its own time, after the alerts.
            deadline = time.monotonic() + 30
            data = (await client.get(f"{base}/status.json?key={key}")).json()
            while data["leaders"].get("islands", 0) < 2:
                assert time.monotonic() < deadline, data["leaders"]
                await asyncio.sleep(0.2)
                data = (await client.get(f"{base}/status.json?key={key}")).json()
            page = await client.get(f"{base}?key={key}")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        dom = await chromium(
            "--virtual-time-budget=8000",
            "--dump-dom",
            f"{base}?key={key}&labels",
            user_data=tmp_path / "a",
        )
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "crisis-page.png"
        shot.unlink(missing_ok=True)
        await chromium(
            "--virtual-time-budget=8000",
            "--window-size=1400,900",
            f"--screenshot={shot}",
            f"{base}?key={key}",
            user_data=tmp_path / "b",
        )
    # The page the browser built from the live status: counts, posts, and the map's shapes.
    assert 'data-loaded="true"' in dom
    sms_row = re.search(r'<tr data-channel="sms">(.*?)</tr>', dom, re.S)
    assert sms_row and '<td data-outcome="targeted">5</td>' in sms_row.group(1)
    assert '<td data-outcome="sent">5</td>' in sms_row.group(1)
    assert "CON-MARRAKECH" in dom
    # Nobody answered yet: the post's call list holds everyone it has in the area.
    to_call = data["to_call"]["CON-MARRAKECH"]
    assert to_call == int(data["counters"]["post:CON-MARRAKECH:people"]) > 0
    post_row = re.search(r"<tr><td>CON-MARRAKECH</td>(.*?)</tr>", dom, re.S)
    assert post_row and post_row.group(1).endswith(f"<td>{to_call}</td>")
    assert dom.count("leaflet-interactive") >= 3  # the area, the islands, the post
    assert "leaflet-container" in dom and "unpkg" not in dom and "cdn" not in dom.lower()
    assert shot.exists() and shot.stat().st_size > 10_000
    # Hostile names from the directory are on the map as text, not as markup.
    assert "Ilot &lt;img src=x onerror=alert(1)&gt;&lt;b&gt;bold&lt;/b&gt;" in dom
    assert "Consulat &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in dom
    assert "<img src" not in dom and "<b>bold" not in dom and "alert(2)</script>" not in dom
    # Counts only: nobody's number or address leaves through the page.
    text = json.dumps(data)
    assert "+3361" not in text and "@example.fr" not in text
    assert data["map"]["islands"]["features"] and data["map"]["posts"]["features"]


def _as_a_background_shell_starts_it() -> None:
    """A command started with `&` by a non-interactive shell (as CI may start the suite)
    inherits SIGINT ignored: Ctrl-C must stop the watch all the same."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


async def _watch_process(settings: Settings, background: bool = True) -> asyncio.subprocess.Process:
    env = {**os.environ, **settings.as_env(), "FORCE_COLOR": "1", "COLUMNS": "160"}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *("status", "QUAKE-V", "--watch", "--every", "0.3"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_as_a_background_shell_starts_it if background else None,
    )


async def _screen_until(watch: asyncio.subprocess.Process, refreshes: int) -> str:
    """What the watch printed, read until it has drawn the crisis `refreshes` times."""
    assert watch.stdout is not None
    screen = ""
    async with asyncio.timeout(60):
        while screen.count("Alert") < refreshes:
            chunk = await watch.stdout.read(65_536)
            assert chunk, f"the watch ended on its own: {screen[-2000:]}"
            screen += chunk.decode()
    return screen


async def _ended(
    watch: asyncio.subprocess.Process, how: signal.Signals, accepted: tuple[int, ...] = (0, 130)
) -> str:
    watch.send_signal(how)
    try:
        out, err = await asyncio.wait_for(watch.communicate(), 30)
    except TimeoutError:
        watch.kill()
        await watch.wait()
        pytest.fail(f"the watch did not end on {how.name} within 30 s")
    assert watch.returncode in accepted, (how.name, watch.returncode, err.decode())
    return out.decode()


async def test_status_watch_refreshes_a_live_terminal_view_until_stopped(
    settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    async with running(settings, PIPELINE):
        await _crisis(settings, tmp_path, redis_client)
    for how in (signal.SIGINT, signal.SIGTERM):
        watch = await _watch_process(settings)
        screen = await _screen_until(watch, refreshes=2)
        await _ended(watch, how)
        assert "━" in screen  # progress bars
        assert "CON-MARRAKECH" in screen and "Safety:" in screen
    # Ctrl-C while the command is still loading ends it too: with 130 once it has set its
    # handlers, killed by SIGINT before then (during Python's own start-up).
    watch = await _watch_process(settings, background=False)
    await asyncio.sleep(0.5)  # any moment of its loading will do
    await _ended(watch, signal.SIGINT, accepted=(130, -signal.SIGINT))
