"""Email through apprise to an SMTP relay that takes STARTTLS and pipelining: the batch
arrives whole, over TLS, with the envelope pipelined."""

import ssl
import time
from collections.abc import Iterator
from email import message_from_bytes

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from schemas.alerts import Addressee, addressee
from schemas.crisis import Channel
from services.common import recipient_variables
from services.common.config import Settings
from services.dispatcher.delivery import Deliverer
from services.dispatcher.sender import ProviderError, Sender
from services.embedded.processes import free_port
from services.providers.smtp import OffersPipelining
from services.texts.alerts import Message


class Recording(OffersPipelining):
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bool]] = []
        self.contents: list[bytes] = []
        self.pipelined = False

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # Pipelined: the next command is already waiting in the stream.
        self.pipelined |= len(server._reader._buffer) > 0  # type: ignore[union-attr]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append((list(envelope.rcpt_tos), session.ssl is not None))
        self.contents.append(bytes(envelope.original_content or b""))
        return "250 OK"


@pytest.fixture
def tls_relay() -> Iterator[tuple[int, Recording]]:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    handler = Recording()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    yield port, handler
    controller.stop()


def sender(url: str) -> Sender:
    return Sender(Settings(email_url=url))  # type: ignore[arg-type]


async def test_a_batch_reaches_a_starttls_relay_whole_with_its_envelope_pipelined(
    tls_relay: tuple[int, Recording],
) -> None:
    port, relay = tls_relay
    email = sender(
        f"mailto://127.0.0.1:{port}?from=alertes@vigie.local&to=alertes@vigie.local"
        "&bcc={to}&mode=starttls&verify=no"
    )
    # With this apprise, emails go through our SMTP connection; a new layout of its email
    # plugin would turn that off (and the dispatcher warns), failing here first.
    assert email.pools[Channel.EMAIL].providers[0].url.over_smtp
    people = [f"p{i}@example.org" for i in range(300)]
    # Lines that start with a dot travel dot-stuffed (RFC 5321 4.5.2) and arrive as sent.
    text = "Restez chez vous.\n.\n..Deux points.\r\nFin."
    for _ in range(2):  # the second message may reuse a thread's TLS context
        await email.send(Channel.EMAIL, people, Message("Alerte", text), "K")
    assert len(relay.received) == 2
    for recipients, over_tls in relay.received:
        assert over_tls
        assert sorted(recipients) == sorted([*people, "alertes@vigie.local"])
    assert relay.pipelined
    # The HTML part keeps the text's lines (the plain one is made from it).
    [html] = [
        part.get_payload(decode=True)
        for part in message_from_bytes(relay.contents[0]).walk()
        if part.get_content_type() == "text/html"
    ]
    assert isinstance(html, bytes)
    assert html.decode().splitlines() == ["Restez chez vous.", ".", "..Deux points.", "Fin."]


async def test_a_relay_refusing_the_envelope_is_a_refused_send(
    tls_relay: tuple[int, Recording],
) -> None:
    port, relay = tls_relay
    # The relay requires STARTTLS: the plain envelope's MAIL, RCPT and DATA are refused.
    email = sender(f"mailto://127.0.0.1:{port}?from=alertes@vigie.local&to={{to}}&mode=insecure")
    with pytest.raises(ProviderError):
        await email.send(Channel.EMAIL, ["p@example.org"], Message("Alerte", "x"), "K")
    assert relay.received == []


@pytest.mark.parametrize("unusual", [False, True])
async def test_each_recipients_values_arrive_whole_within_mail_line_limits(
    tls_relay: tuple[int, Recording], unusual: bool
) -> None:
    """The batch's recipient-variables header, as one reading the mail gets it."""
    port, relay = tls_relay
    email = sender(
        f"mailto://127.0.0.1:{port}?from=alertes@vigie.local&to=alertes@vigie.local"
        f"&bcc={{to}}&mode=starttls&verify=no&+{recipient_variables.HEADER}={{variables}}"
    )
    variables = {f"p{i}@example.org": {"token": f"tok.{i}-" * 15} for i in range(400)}
    if unusual:
        variables["p0@example.org"] = {"token": 'spaces, commas; "quotes" é'}
    await email.send(
        Channel.EMAIL, list(variables), Message("Alerte", "Restez chez vous."), "K", variables
    )
    [wire] = relay.contents
    head = wire.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    read = message_from_bytes(wire)[recipient_variables.HEADER]
    assert recipient_variables.decode(str(read)) == variables


async def _no_hold(recipients: list[Addressee], waiting: bool) -> bool:
    return True


async def test_an_address_the_relay_cannot_take_fails_alone_instead_of_counting_as_sent(
    tls_relay: tuple[int, Recording],
) -> None:
    """A non-ASCII address, and a relay without SMTPUTF8: the others still get the
    message, and that person's delivery fails (reported, dead-lettered), instead of being
    dropped from the batch while the batch counts as sent."""
    port, relay = tls_relay
    settings = Settings(  # type: ignore[arg-type]
        email_url="mailto://127.0.0.1:{port}?from=alertes@vigie.local&to=alertes@vigie.local"
        "&bcc={to}&mode=starttls&verify=no".replace("{port}", str(port)),
        send_attempts=2,
        retry_base_s=0.01,
    )
    deliverer = Deliverer(Sender(settings), settings)
    people = [addressee("P1", "p1@example.org")]
    people.append(addressee("P2", "élodie@exemple.fr"))
    attempted = await deliverer.deliver(
        Channel.EMAIL, people, Message("Alerte", "x"), "K", time.time() + 60, _no_hold
    )
    assert {a.recipient["person_id"]: a.sent for a in attempted} == {"P1": True, "P2": False}
    reached = [r for recipients, _ in relay.received for r in recipients]
    assert sorted(set(reached) - {"alertes@vigie.local"}) == ["p1@example.org"]
