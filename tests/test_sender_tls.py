"""The TLS context apprise's SMTP plugin gets: made only when a connection uses it, once
per thread, and never left relaxed for the next connection."""

import ssl
from typing import Any

from services.dispatcher.smtp_client import TlsContextPerThread


class CountingSsl:
    """The ssl module, counting the default contexts it makes (each loads the CA store)."""

    def __init__(self) -> None:
        self.made: list[ssl.SSLContext] = []

    def create_default_context(self, *args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = ssl.create_default_context(*args, **kwargs)
        self.made.append(context)
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)


def test_a_reused_context_verifies_again_after_an_unverified_relay_relaxed_it() -> None:
    real = CountingSsl()
    contexts = TlsContextPerThread(real)  # type: ignore[arg-type]
    relaxed = contexts.create_default_context()
    relaxed.check_hostname = False
    relaxed.verify_mode = ssl.CERT_NONE  # what the plugin does for an unverified relay
    again = contexts.create_default_context()
    assert again.verify_mode == ssl.CERT_REQUIRED and again.check_hostname
    assert len(real.made) == 1  # the CA store is loaded once per thread
    assert contexts.CERT_NONE == ssl.CERT_NONE


def test_a_relay_without_tls_costs_no_context() -> None:
    real = CountingSsl()
    contexts = TlsContextPerThread(real)  # type: ignore[arg-type]
    for _ in range(3):
        contexts.create_default_context()  # the plugin asks; a plain relay never uses it
    assert real.made == []


def test_a_deferred_context_wraps_a_socket_as_the_real_one_would() -> None:
    contexts = TlsContextPerThread(ssl)
    context = contexts.create_default_context()
    assert context.wrap_socket is not None
    assert isinstance(context._context(), ssl.SSLContext)
