"""Delivery through apprise to a real SMTP server and HTTP gateway: who got what, how often."""

import asyncio
import json
import time
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr

from schemas.crisis import Channel
from schemas.delivery import DeadLetter, DeliveryReport, Outcome
from schemas.topics import DEAD_LETTERS, DELIVERY_REPORTS
from services.common import recipient_variables
from services.common.answer_tokens import AnswerTokens
from services.common.bus_reader import read_models, wait_for_models
from services.common.config import Settings
from services.directory.generate import generate_directory
from services.providers import outbox
from services.state import keys
from services.texts.segments import sms_segments
from tests.answer_helpers import link_in
from tests.delivery_helpers import received, settled, shown_by_vigie_status, suppressed
from tests.events import event_dict, event_json, london_event_json
from tests.helpers import import_directory, import_marrakech, publish, running

PIPELINE = ["ingest", "resolver", "dispatcher", "dispatcher-priority"]
N_IN_SMS = "+33610000337"  # tests.directory_data.national("N-IN") contact points
N_IN_EMAIL = "n-in@example.fr"


def sms_of(person_id: str) -> str:
    return f"+3361{sum(ord(c) for c in person_id):07d}"


async def test_everyone_gets_each_channel_once_in_their_language(
    outbox_client: redis.Redis,
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    await import_marrakech(settings, tmp_path)
    async with running(settings, PIPELINE):
        await publish(settings, event_json("QUAKE-D1"))
        status = await settled(redis_client, "QUAKE-D1")
    assert status["sent:sms"] == 5 and status["sent:email"] == 4 and status["sent:push"] == 4
    french = received(outbox_client, "sms", sms_of("N-IN"))
    assert len(french) == 1
    assert french[0].body.startswith("ALERTE Séisme") and "+212524388200" in french[0].body
    assert sms_segments(french[0].body) <= 2
    english = received(outbox_client, "sms", sms_of("N-IN-EN"))
    assert len(english) == 1 and english[0].body.startswith("ALERT Earthquake")
    [email] = received(outbox_client, "email", "n-in-en@example.fr")
    assert email.title == "[ALERT] Earthquake near Marrakech: get to safety"
    assert "Aftershocks are expected" in email.body and "Keep away" in email.body
    [push] = received(outbox_client, "push", "push-token-N-IN")
    assert push.title.startswith("Alerte : Séisme") and "+212524388200" in push.body
    assert received(outbox_client, "email", "n-sms-only@example.fr") == []
    assert received(outbox_client, "sms", sms_of("N-EDGE-N")) == []  # outside the area
    assert suppressed(outbox_client) == 0


async def test_provider_failing_twice_then_succeeding_yields_one_message(
    outbox_client: redis.Redis,
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    await import_marrakech(settings, tmp_path)
    outbox_client.hset(outbox.RULES, sms_of("N-IN"), 2)
    async with running(settings, PIPELINE):
        await publish(settings, event_json("QUAKE-D2"))
        status = await settled(redis_client, "QUAKE-D2")
    assert len(received(outbox_client, "sms", sms_of("N-IN"))) == 1
    assert status["sent:sms"] == 5 and "failed:sms" not in status
    reports = await read_models(settings, DELIVERY_REPORTS, DeliveryReport)
    [outcome] = [
        o for r in reports for o in r.outcomes if o.person_id == "N-IN" and r.channel == "sms"
    ]
    assert outcome.outcome is Outcome.SENT and outcome.attempts == 3


async def test_provider_always_failing_is_reported_and_dead_lettered_others_still_served(
    outbox_client: redis.Redis,
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    await import_marrakech(settings, tmp_path)
    outbox_client.hset(outbox.RULES, mapping={sms_of("N-IN"): -1, N_IN_EMAIL: -1})
    async with running(settings, PIPELINE):
        await publish(settings, event_json("QUAKE-D3"))
        status = await settled(redis_client, "QUAKE-D3")
        letters = await wait_for_models(settings, DEAD_LETTERS, DeadLetter, 2)
    assert status["failed:sms"] == 1 and status["sent:sms"] == 4
    assert status["failed:email"] == 1 and status["sent:email"] == 3
    assert received(outbox_client, "sms", sms_of("N-IN")) == []
    assert len(received(outbox_client, "sms", sms_of("N-IN-EN"))) == 1
    reasons = sorted(letter.reason for letter in letters)
    assert reasons[0].startswith("email to N-IN failed after 4 attempt(s)")
    assert reasons[1].startswith("sms to N-IN failed after 4 attempt(s)")
    assert all(
        N_IN_EMAIL not in x.payload and sms_of("N-IN") not in x.payload for x in letters
    )  # contact points never in clear
    reports = await read_models(settings, DELIVERY_REPORTS, DeliveryReport)
    sms = {o.person_id: o for r in reports if r.channel == "sms" for o in r.outcomes}
    assert sorted(sms) == ["N-BOTH", "N-IN", "N-IN-EN", "N-SMS-ONLY", "N-TRAVELLER"]
    failed = sms.pop("N-IN")
    assert (failed.outcome, failed.attempts) == (Outcome.FAILED, 4) and failed.error
    assert {(o.outcome, o.attempts, o.error) for o in sms.values()} == {(Outcome.SENT, 1, None)}


async def test_a_national_their_chosen_channel_failed_is_tried_once_on_their_others(
    outbox_client: redis.Redis,
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    """N-SMS-ONLY chose SMS, and gave an email address and a push token too; N-IN's SMS
    and email fail, but push reaches them."""
    await import_marrakech(settings, tmp_path)
    outbox_client.hset(
        outbox.RULES, mapping={sms_of("N-SMS-ONLY"): -1, sms_of("N-IN"): -1, N_IN_EMAIL: -1}
    )
    async with running(settings, PIPELINE):
        await publish(settings, event_json("QUAKE-FB"))
        status = await settled(redis_client, "QUAKE-FB")
        await asyncio.sleep(1)  # a second fallback would land now
        status = await settled(redis_client, "QUAKE-FB")
    [email] = received(outbox_client, "email", "n-sms-only@example.fr")
    [push] = received(outbox_client, "push", "push-token-N-SMS-ONLY")
    # N-IN was reached by push, which the crisis used: nothing more for them.
    [n_in_push] = received(outbox_client, "push", "push-token-N-IN")
    assert email.key == push.key == "QUAKE-FB" and push.body == n_in_push.body
    assert received(outbox_client, "sms", sms_of("N-SMS-ONLY")) == []
    assert (status["fallback:email"], status["fallback:push"]) == (1, 1)
    assert "fallback:sms" not in status
    assert (status["failed:sms"], status["failed:email"]) == (2, 1)
    for channel in ("sms", "email", "push"):
        outcomes = sum(int(status.get(f"{o}:{channel}", 0)) for o in ("sent", "failed"))
        assert outcomes == status[f"targeted:{channel}"]
    assert suppressed(outbox_client) == 0
    shown = await shown_by_vigie_status(settings, "QUAKE-FB")
    assert "tried once on another of theirs: email 1, push 1" in shown


async def test_same_event_twice_and_a_replayed_job_send_once(
    outbox_client: redis.Redis,
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    await import_marrakech(settings, tmp_path)
    async with running(settings, PIPELINE):
        await publish(settings, event_json("QUAKE-D4"))
        await publish(settings, event_json("QUAKE-D4"))
        await settled(redis_client, "QUAKE-D4")
        # Replay every job, as a redelivery after a rebalance would.
        from schemas.alerts import AlertJob
        from schemas.topics import ALERT_JOBS_PRIORITY
        from services.common.runtime import make_broker

        broker = make_broker(settings)
        await broker.connect()
        for topic in ALERT_JOBS_PRIORITY.values():
            for job in await read_models(settings, topic, AlertJob):
                await broker.publish(job, settings.bus.topic(topic), key=job.job_id.encode())
        await broker.stop()
        await asyncio.sleep(3)
    for channel, address in (
        ("sms", sms_of("N-IN")),
        ("email", N_IN_EMAIL),
        ("push", "push-token-N-IN"),
    ):
        assert len(received(outbox_client, channel, address)) == 1
    assert suppressed(outbox_client) == 0  # the dispatcher itself, not the provider, deduped


async def test_a_delivery_left_claimed_by_a_dead_sender_is_still_made_once(
    outbox_client: redis.Redis,
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    """A sender that died (or whose Redis went away) between claiming a delivery and
    settling it leaves the claim behind; the job, read again at once, must not be done until
    that delivery is made, once the dead sender's lease has run out."""
    await import_marrakech(settings, tmp_path)
    settings = settings.changed(claim_lease_s=6.0)
    async with running(settings, PIPELINE):
        await publish(settings, event_json("QUAKE-WARM"))  # every consumer has joined
        await settled(redis_client, "QUAKE-WARM")
        claimed_at = time.time()
        left = keys.deliveries("QUAKE-D5", "QUAKE-D5", Channel.SMS)
        redis_client.hset(left, "N-IN", f"sending:{claimed_at}")
        await publish(settings, event_json("QUAKE-D5"))
        status = await settled(redis_client, "QUAKE-D5", timeout_s=30)
    assert status["sent:sms"] == 5
    [sms] = [r for r in received(outbox_client, "sms", sms_of("N-IN")) if r.key == "QUAKE-D5"]
    assert sms.at >= claimed_at + 6.0  # taken over once the dead sender's lease ran out


async def test_update_alerts_again_marked_as_an_update(
    outbox_client: redis.Redis,
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
) -> None:
    await import_marrakech(settings, tmp_path)
    update = event_dict(
        "QUAKE-U2",
        msgType="Update",
        references=[
            {
                "sender": "cdcs@diplomatie.gouv.fr",
                "identifier": "QUAKE-U",
                "sent": "2026-11-25T08:00:00Z",
            }
        ],
    )
    update["info"][0]["headline"] = "Répliques fortes : restez dehors"
    async with running(settings, PIPELINE):
        await publish(settings, event_json("QUAKE-U"))
        await settled(redis_client, "QUAKE-U")
        await publish(settings, json.dumps(update).encode())
        status = await settled(redis_client, "QUAKE-U", prefix="update:")
    assert status["update:sent:sms"] == 5
    first, second = received(outbox_client, "sms", sms_of("N-IN"))
    assert first.body.startswith("ALERTE Séisme")
    assert second.body.startswith("MISE A JOUR - ALERTE Répliques fortes")
    [*_, email] = received(outbox_client, "email", N_IN_EMAIL)
    assert email.title == "[MISE À JOUR] Répliques fortes : restez dehors"


@pytest.mark.parametrize("relay_merges", [True, False], ids=["batch-merged", "one-by-one"])
async def test_each_email_carries_only_its_own_answer_links(
    outbox_client: redis.Redis,
    settings: Settings,
    tmp_path: Path,
    redis_client: redis.Redis,
    relay_merges: bool,
) -> None:
    """Hundreds of emails in batches: with a relay that merges recipient variables (one
    message per batch) and with one that does not (one message per person)."""
    if not relay_merges:
        template = (
            settings.providers.email_url.get_secret_value() if settings.providers.email_url else ""
        )
        plain = template.replace(f"&+{recipient_variables.HEADER}={{variables}}", "").replace(
            "to=alertes@vigie.local&bcc={to}", "to={to}"
        )
        assert "{variables}" not in plain and "bcc" not in plain
        settings = settings.changed(email_url=SecretStr(plain))
    directory = tmp_path / "directory.geojson"
    generate_directory(directory, 4_000, seed=5)
    await import_directory(settings, directory)
    async with running(settings, PIPELINE):
        await publish(settings, london_event_json("LONDON-L"))
        status = await settled(redis_client, "LONDON-L")
    email_of = {
        p["email"]: p["id"]
        for line in directory.read_text().splitlines()
        if '"kind":"national"' in line
        for p in [json.loads(line.rstrip(","))["properties"]]
        if p.get("email")
    }
    emails = [r for r in outbox.all_received(outbox_client) if r.channel == "email"]
    assert len(emails) == int(status["sent:email"]) > 250  # more than one batch
    assert len({e.to for e in emails}) == len(emails), "one email per person"
    tokens = AnswerTokens(settings.answers.response_secret.get_secret_value(), 3600)  # type: ignore[union-attr]
    for email in emails:
        safe, help_ = link_in(email.body, "safe"), link_in(email.body, "help")
        token = safe.split("/a/")[1].split("?")[0]
        assert token == help_.split("/a/")[1].split("?")[0]
        assert tokens.read(token).person_id == email_of[email.to]
        assert "%recipient" not in email.body
    assert "alertes@vigie.local" not in {e.to for e in emails}
