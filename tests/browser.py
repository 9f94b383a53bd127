"""Pages in a real headless Chromium (Debian's, installed by scripts/install)."""

import asyncio
import shutil
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


async def chromium(*args: str, user_data: Path) -> str:
    """What Chromium prints (the DOM, with --dump-dom)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("Chromium is not installed: scripts/install installs Debian's chromium")
    process = await asyncio.create_subprocess_exec(
        browser,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={user_data}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 90)
    return out.decode()
