"""The TLS context apprise's SMTP plugin gets is reused per thread, never left relaxed."""

import ssl

from services.dispatcher.sender import _TlsContextPerThread


def test_a_reused_context_verifies_again_after_an_unverified_relay_relaxed_it() -> None:
    contexts = _TlsContextPerThread(ssl)
    relaxed = contexts.create_default_context()
    relaxed.check_hostname = False
    relaxed.verify_mode = ssl.CERT_NONE  # what the plugin does for an unverified relay
    again = contexts.create_default_context()
    assert again is relaxed  # the CA store is loaded once per thread
    assert again.verify_mode == ssl.CERT_REQUIRED and again.check_hostname
    assert contexts.CERT_NONE == ssl.CERT_NONE
