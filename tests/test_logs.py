"""What operators read in the logs: JSON lines in production, contact points never in clear."""

import json
import os
import subprocess
import sys

LOGGING_SCRIPT = """
import logging
from services.common.logs import configure_logging
configure_logging(logging.INFO, json_lines={json_lines})
logging.getLogger("apprise").info("sent to %s and %s", "+33612345678", "marie.curie@example.fr")
try:
    raise RuntimeError("token " + "a1b2c3d4e5f6" * 5 + " refused")
except RuntimeError:
    logging.getLogger("vigie.dispatcher").exception("push failed")
"""


def _log_output(json_lines: bool) -> str:
    result = subprocess.run(
        [sys.executable, "-c", LOGGING_SCRIPT.format(json_lines=json_lines)],
        capture_output=True,
        text=True,
        env=os.environ,
        check=True,
    )
    return result.stderr


def test_json_logs_mask_phone_numbers_emails_and_push_tokens() -> None:
    lines = [json.loads(line) for line in _log_output(json_lines=True).splitlines()]
    assert [line["level"] for line in lines] == ["INFO", "ERROR"]
    assert lines[0]["logger"] == "apprise" and "time" in lines[0]
    text = json.dumps(lines)
    for secret in ("+33612345678", "marie.curie@example.fr", "a1b2c3d4e5f6a1b2c3d4e5f6"):
        assert secret not in text
    assert "+336****78" in lines[0]["message"] and "m***@example.fr" in lines[0]["message"]
    assert "RuntimeError" in lines[1]["exc_info"]


def test_text_logs_mask_too() -> None:
    output = _log_output(json_lines=False)
    assert "+33612345678" not in output and "marie.curie@example.fr" not in output
    assert "a1b2c3d4e5f6a1b2c3d4e5f6" not in output and "push failed" in output
