"""Before anyone phones: the safety check's reminder, once, on another channel. Then
`vigie calllist`: the people a post's crisis cell should phone, those who need help first,
then those nothing reached, then those who have not answered; numbers in clear, and each
reading recorded."""

import asyncio
import csv
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import redis

from services.common.config import Settings
from services.providers import outbox
from tests.answer_helpers import answering, emails, eventually, follow, link_in, reply_sms
from tests.delivery_helpers import settled, shown_by_vigie_status
from tests.directory_data import national, write
from tests.events import event_json
from tests.helpers import import_directory, import_marrakech, publish

EVERYTHING = [
    "ingest",
    "resolver",
    "dispatcher",
    "dispatcher-priority",
    "responses",
    "leaders",
    "reservists",
]
N_IN = national("N-IN", 0, 0)["properties"]  # its contact points


def _vigie(settings: Settings, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env={**settings.as_env(), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


async def test_the_call_list_puts_help_first_then_the_unreached_then_the_silent(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    await import_marrakech(settings, tmp_path)
    # Nothing reaches N-IN: every channel it has fails for good. Nor the reservists' requests
    # (their phone, and R-NEAR's email): they are not nationals in the area to call.
    failing = [N_IN[c] for c in ("sms", "email", "push_token")] + ["+33750000001"]
    outbox_client.hset(outbox.RULES, mapping=dict.fromkeys([*failing, "r-near@example.fr"], -1))
    async with answering(settings, EVERYTHING):
        await publish(settings, event_json("QUAKE-CL"))
        await settled(redis_client, "QUAKE-CL")
        await eventually(
            lambda: any(
                k.startswith("notice:") and ":failed:" in k
                for k in redis_client.hkeys("status:{QUAKE-CL}")
            ),
            "a reservist's request failed",
        )
        [alert] = emails(outbox_client, "n-in-en@example.fr")
        assert (await follow(link_in(alert.body, "safe"))).status_code == 200
        sms_only = national("N-SMS-ONLY", 0, 0)["properties"]["sms"]
        assert (await reply_sms(settings, sms_only, "aide")).json()["answer"] == "help"
        await eventually(
            lambda: (
                redis_client.hget("status:{QUAKE-CL}", "safety:help") == "1"
                and redis_client.hget("status:{QUAKE-CL}", "safety:safe") == "1"
            ),
            "both answers",
        )

    rows = list(csv.DictReader(io.StringIO(_vigie(settings, "calllist", "QUAKE-CL", "--csv"))))
    situation = {row["person"]: row["situation"] for row in rows}
    assert situation == {
        "N-SMS-ONLY": "needs help",
        "N-IN": "unreached",
        "N-NO-CONTACT": "unreached",  # the directory gives no way to reach them
        "N-BOTH": "unanswered",
        "N-TRAVELLER": "unanswered",
    }, "the area's nationals only, but N-IN-EN who answered safe"
    [n_in] = [row for row in rows if row["person"] == "N-IN"]
    assert n_in["sms"] == N_IN["sms"] and n_in["email"] == N_IN["email"], "numbers in clear"
    order = [(r["post"], r["island"]) for r in rows]
    assert order == sorted(order), "grouped by post, then island"
    rank = {"needs help": 0, "unreached": 1, "unanswered": 2}
    for place in set(order):
        ranks = [rank[r["situation"]] for r in rows if (r["post"], r["island"]) == place]
        assert ranks == sorted(ranks), f"in {place}, those who need help come first"

    assert "Nobody to call." in _vigie(settings, "calllist", "QUAKE-CL", "--post", "EMB-MA")
    status = json.loads(_vigie(settings, "status", "QUAKE-CL", "--json"))
    per_post = {post: sum(r["post"] == post for r in rows) for post in status["posts"]}
    assert status["to_call"] == per_post, "the crisis page counts what the list names"
    reads = status["call_list_reads"]
    assert [(r["post_id"], r["rows"]) for r in reads] == [("EMB-MA", 0), (None, len(rows))]
    assert all("@" in r["by"] for r in reads), "who read the numbers"


async def test_a_national_who_has_not_answered_gets_one_reminder_on_another_channel(
    outbox_client: redis.Redis, settings: Settings, tmp_path: Path, redis_client: redis.Redis
) -> None:
    """N-SMS-ONLY and N-EMAIL-ONLY chose one channel and gave the others' addresses too;
    N-EMAIL-ONLY answers in time. The others were reached on every channel they have."""
    await import_marrakech(settings, tmp_path)
    email_only = national("N-EMAIL-ONLY", 31.57, -7.92, channels=["email"])
    await import_directory(settings, write(tmp_path / "more.geojson", [email_only]))
    quick = settings.changed(safety_reminder_s=5)
    async with answering(quick, EVERYTHING):
        await publish(quick, event_json("QUAKE-RM"))
        await settled(redis_client, "QUAKE-RM")
        [alert] = emails(outbox_client, "n-email-only@example.fr")
        assert (await follow(link_in(alert.body, "safe"))).status_code == 200
        [reminder] = await eventually(
            lambda: emails(outbox_client, "n-sms-only@example.fr"), "the reminder"
        )
        assert reminder.title.startswith("[RAPPEL] Êtes-vous en sécurité ?")
        assert (await follow(link_in(reminder.body, "help"))).status_code == 200
        await eventually(
            lambda: redis_client.hget("status:{QUAKE-RM}", "safety:help") == "1",
            "the answer to the reminder",
        )
        await settled(redis_client, "QUAKE-RM", prefix="reminder:")
        await asyncio.sleep(2)  # a second reminder would come now (timers: every 0.5 s)
        shown = await shown_by_vigie_status(quick, "QUAKE-RM")
    reminders = Counter(
        (r.channel, r.to)
        for r in outbox.all_received(outbox_client)
        if r.key == "QUAKE-RM/reminder"
    )
    # N-IN and the others were reached on every channel they have; N-EMAIL-ONLY answered.
    assert reminders == {("email", "n-sms-only@example.fr"): 1}
    reminded = {k: v for k, v in redis_client.hgetall("status:{QUAKE-RM}").items() if "remind" in k}
    assert reminded["reminder:sent:email"] == reminded["reminder:targeted:email"] == "1"
    assert not [k for k in reminded if k.endswith((":sms", ":push"))]
    assert "to those silent): email 1 sent of 1" in shown
