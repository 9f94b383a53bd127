"""The local providers' record of what they received: a repeat of the same key is delivered
once, and a request that is partly a repeat delivers its new recipients, with their own
recipient variables."""

import smtplib

import redis

from services.common.config import Settings
from services.embedded.processes import free_port
from services.providers import outbox
from services.providers.smtp import start_smtp


def test_a_request_partly_repeated_delivers_only_its_new_recipients(
    settings: Settings, outbox_client: redis.Redis
) -> None:
    client = outbox_client
    first = outbox.record(
        client,
        "email",
        ["a@x.org", "b@x.org"],
        "T",
        "%recipient.t%",
        "K1",
        {"a@x.org": {"t": "A"}, "b@x.org": {"t": "B"}},
    )
    again = outbox.record(
        client,
        "email",
        ["b@x.org", "c@x.org", "c@x.org"],
        "T",
        "%recipient.t%",
        "K1",
        {"b@x.org": {"t": "B"}, "c@x.org": {"t": "C"}},
    )
    other_key = outbox.record(
        client, "email", ["a@x.org"], "T", "%recipient.t%", "K2", {"a@x.org": {"t": "A2"}}
    )
    named_twice = outbox.record(
        client, "email", ["d@x.org", "d@x.org"], "T", "%recipient.t%", "K3", {"d@x.org": {"t": "D"}}
    )
    assert (first, again, other_key, named_twice) == (0, 2, 0, 1)
    received = [(r.to, r.key, r.body) for r in outbox.all_received(client)]
    assert sorted(received) == [
        ("a@x.org", "K1", "A"),
        ("a@x.org", "K2", "A2"),
        ("b@x.org", "K1", "B"),
        ("c@x.org", "K1", "C"),
        ("d@x.org", "K3", "D"),
    ]
    assert int(client.get(outbox.SUPPRESSED) or 0) == 3


def test_the_relay_answers_each_recipient_as_smtp_requires(
    settings: Settings, outbox_client: redis.Redis
) -> None:
    """A batch's recipients take a short way through the relay: it still refuses what
    SMTP refuses, in the same words, and keeps only the recipients it accepted."""
    client = outbox_client
    client.hset(outbox.RULES, "down@x.org", "-1")
    port = free_port()
    relay = start_smtp(client, port)
    try:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            before_ehlo = smtp.docmd("RCPT", "TO:<a@x.org>")
            smtp.ehlo()
            before_mail = smtp.docmd("RCPT", "TO:<a@x.org>")
            assert smtp.docmd("MAIL", "FROM:<alerts@vigie.example>")[0] == 250
            answers = {
                arg: smtp.docmd("RCPT", arg)[0]
                for arg in (
                    "TO:<a@x.org>",
                    "to: <b@x.org>",
                    "TO:<a@b@x.org>",
                    "TO:<c@x.org> NOTIFY=NEVER",
                    "FROM:<d@x.org>",
                    "TO:<down@x.org>",
                )
            }
            assert smtp.docmd("DATA")[0] == 354
            smtp.send(b"Subject: Drill\r\nIdempotency-Key: K-RELAY\r\n\r\nHello\r\n.\r\n")
            assert smtp.getreply()[0] == 250
    finally:
        relay.stop()
        client.delete(outbox.RULES)
    assert before_ehlo[0] == 503 and b"HELO" in before_ehlo[1]
    assert before_mail == (503, b"Error: need MAIL command")
    assert answers == {
        "TO:<a@x.org>": 250,
        "to: <b@x.org>": 250,
        "TO:<a@b@x.org>": 553,
        "TO:<c@x.org> NOTIFY=NEVER": 555,
        "FROM:<d@x.org>": 501,
        "TO:<down@x.org>": 550,
    }
    received = [(r.to, r.title, r.body) for r in outbox.all_received(client) if r.key == "K-RELAY"]
    assert sorted(received) == [("a@x.org", "Drill", "Hello"), ("b@x.org", "Drill", "Hello")]


def test_a_pipelined_envelope_gets_a_reply_per_command_in_order(
    settings: Settings, outbox_client: redis.Redis
) -> None:
    """A client that pipelines (RFC 2920) sends the whole envelope in one write; the relay
    takes the plain recipients already received in one pass, and still answers every
    command, in order, refusing what SMTP refuses."""
    client = outbox_client
    client.hset(outbox.RULES, "down@x.org", "-1")
    port = free_port()
    relay = start_smtp(client, port)
    commands = [
        ("MAIL FROM:<alerts@vigie.example>", 250),
        ("RCPT TO:<a@x.org>", 250),
        ("RCPT TO:<b@x.org>", 250),
        ("RCPT TO:<down@x.org>", 550),
        ("rcpt TO:<e@x.org>", 250),
        ("RCPT TO:<a@b@x.org>", 553),
        ("RCPT TO:<f@x.org>", 250),
        ("RCPT TO:<c@x.org> NOTIFY=NEVER", 555),
        ("RCPT TO:<g@x.org>", 250),
        ("DATA", 354),
    ]
    try:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.ehlo()
            assert smtp.has_extn("pipelining")
            smtp.send("".join(f"{command}\r\n" for command, _ in commands))
            replies = [smtp.getreply()[0] for _ in commands]
            smtp.send(b"Subject: Drill\r\nIdempotency-Key: K-PIPELINED\r\n\r\nHello\r\n.\r\n")
            assert smtp.getreply()[0] == 250
    finally:
        relay.stop()
        client.delete(outbox.RULES)
    assert replies == [code for _, code in commands]
    received = [r.to for r in outbox.all_received(client) if r.key == "K-PIPELINED"]
    assert sorted(received) == ["a@x.org", "b@x.org", "e@x.org", "f@x.org", "g@x.org"]
