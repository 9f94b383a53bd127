"""Email through apprise to an SMTP relay that takes STARTTLS and pipelining: the batch
arrives whole, over TLS, with the envelope pipelined."""

import ssl
from collections.abc import Iterator

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from schemas.crisis import Channel
from services.common.config import Settings
from services.dispatcher.messages import Message
from services.dispatcher.sender import ProviderError, Sender
from services.embedded.processes import free_port
from services.providers.smtp import OffersPipelining


class Recording(OffersPipelining):
    def __init__(self) -> None:
        self.received: list[tuple[list[str], bool]] = []
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
    people = [f"p{i}@example.org" for i in range(300)]
    for _ in range(2):  # the second message may reuse a thread's TLS context
        await email.send(Channel.EMAIL, people, Message("Alerte", "Restez chez vous."), "K")
    assert len(relay.received) == 2
    for recipients, over_tls in relay.received:
        assert over_tls
        assert sorted(recipients) == sorted([*people, "alertes@vigie.local"])
    assert relay.pipelined


async def test_a_relay_refusing_the_envelope_is_a_refused_send(
    tls_relay: tuple[int, Recording],
) -> None:
    port, relay = tls_relay
    # The relay requires STARTTLS: the plain envelope's MAIL, RCPT and DATA are refused.
    email = sender(f"mailto://127.0.0.1:{port}?from=alertes@vigie.local&to={{to}}&mode=insecure")
    with pytest.raises(ProviderError):
        await email.send(Channel.EMAIL, ["p@example.org"], Message("Alerte", "x"), "K")
    assert relay.received == []
