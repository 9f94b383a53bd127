"""apprise's SMTP plugin, fitted for batches of hundreds of recipients.

- Its connection pipelines the envelope (RFC 2920) when the server offers PIPELINING: the
  MAIL, every RCPT and the DATA go out in one write and their replies are read after, where
  smtplib waits for each reply in turn. A batch of 500 was 500 round trips; on this
  machine a round trip costs ~100 us of CPU on each side, more than the rest of the email.
- It builds a new default TLS context for every message: loading the CA store costs ~40 ms
  of CPU, more than the rest of an email. Each thread keeps one context.
- It tells whether a header needs UTF-8 by looking at its characters one by one in Python:
  ~7 ms for a batch's recipient-variables header. `str.isascii` gives the same answer.
- Its mail writer folds every header again from scratch: ~9 us a recipient for a batch's
  recipient-variables header, which is already folded (`prefolded`).

`install()` puts these in place of what the plugin's modules take from `smtplib` and `ssl`,
and of its charset check.
"""

import itertools
import re
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

from services.dispatcher import provider_failures

if TYPE_CHECKING:
    from _typeshed import SizedBuffer

_REPLY_OK = (250, 251)
_PLAIN_ADDRESS = re.compile(r"[^<>()\[\]\\,;:\s\"@]+@[^<>()\[\]\\,;:\s\"@]+")
_STAND_IN = "vigie-prefolded-"
_FOLDED_LINE = 900  # a folded line's longest, header name aside: mail lines stop at 998
_prefolded: dict[str, str] = {}
_numbers = itertools.count()
_fitted: type | None = None  # the email plugin `install()` fitted, if it could


@contextmanager
def prefolded(value: str) -> Iterator[str]:
    """For a plugin that `fits`: what to give apprise for a header whose value is already
    folded for the wire. That is a short stand-in, which the connection swaps for the value
    as the message goes out. Only a value in ASCII, folded into short lines (CRLF and a
    space), is set aside; any other is given as it is, for the mail writer to fold."""
    if not (value.isascii() and _is_folded(value)):
        yield value
        return
    stand_in = f"{_STAND_IN}{next(_numbers)}"
    _prefolded[stand_in] = value
    try:
        yield stand_in
    finally:
        del _prefolded[stand_in]


def _is_folded(value: str) -> bool:
    lines = value.split("\r\n")
    return all(
        len(line) <= _FOLDED_LINE and "\r" not in line and "\n" not in line for line in lines
    ) and all(line[:1] == " " for line in lines[1:])


def _put_back(message: str) -> str:
    """The message with its prefolded header's value in place of the stand-in."""
    start = message.find(_STAND_IN)
    if start < 0:
        return message
    end = start + len(_STAND_IN)
    while message[end : end + 1].isdigit():
        end += 1
    value = _prefolded.get(message[start:end])
    if value is None:  # the send was given up (timed out) before this thread sent it
        raise smtplib.SMTPException("the message's header is gone: its send was given up")
    return message[:start] + value + message[end:]


class _PipeliningMixin(smtplib.SMTP):
    def sendmail(
        self,
        from_addr: str,
        to_addrs: str | Sequence[str],
        msg: "SizedBuffer | str",
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """smtplib's sendmail, same results and errors, with the envelope pipelined when the
        server offers it. The codes of refused recipients and messages are noted: they tell
        a wrong address from a relay that cannot take mail now (a refused sender, MAIL, is
        about our account: the relay counts as unavailable)."""
        try:
            return self._sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        except smtplib.SMTPRecipientsRefused as error:
            for code, _ in error.recipients.values():
                provider_failures.note_smtp(code)
            raise
        except smtplib.SMTPDataError as error:  # the message refused (for good if 5xx)
            provider_failures.note_smtp(error.smtp_code)
            raise

    def _sendmail(
        self,
        from_addr: str,
        to_addrs: str | Sequence[str],
        msg: "SizedBuffer | str",
        mail_options: Sequence[str],
        rcpt_options: Sequence[str],
    ) -> dict[str, tuple[int, bytes]]:
        if isinstance(msg, str):
            msg = _put_back(msg)
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("pipelining") or any(o.lower() == "smtputf8" for o in mail_options):
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        message = _crlf(msg).encode("ascii") if isinstance(msg, str) else bytes(msg)
        if isinstance(to_addrs, str):
            to_addrs = [to_addrs]
        mail_opts = list(mail_options)
        if self.has_extn("size"):
            mail_opts.insert(0, f"size={len(message)}")
        commands = [f"mail FROM:{_quoted(from_addr)}{_options(mail_opts)}"]
        each = _options(rcpt_options)
        commands += [f"rcpt TO:{_quoted(a)}{each}" for a in to_addrs]
        commands.append("data")
        if any("\r" in c or "\n" in c for c in commands):
            raise ValueError("command and arguments contain prohibited newline characters")
        self.send("".join(f"{c}\r\n" for c in commands))
        mail, *rcpts, data = [self.getreply() for _ in commands]
        refused = {
            address: reply
            for address, reply in zip(to_addrs, rcpts, strict=True)
            if reply[0] not in _REPLY_OK
        }
        if mail[0] != 250:
            self._abandon(mail[0], data[0])
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], from_addr)
        closing = any(code == 421 for code, _ in rcpts)
        if closing or len(refused) == len(to_addrs):
            self._abandon(421 if closing else 0, data[0])
            raise smtplib.SMTPRecipientsRefused(refused)
        if data[0] != 354:
            self._abandon(data[0], data[0])
            raise smtplib.SMTPDataError(*data)
        body = _dot_stuffed(message)
        if body[-2:] != b"\r\n":
            body += b"\r\n"
        self.send(body + b".\r\n")
        code, reply = self.getreply()
        if code != 250:
            self._abandon(code, 0)
            raise smtplib.SMTPDataError(code, reply)
        return refused

    def _abandon(self, code: int, data_code: int) -> None:
        """Leave the transaction after a refusal: the server closing (421) closes ours,
        else the transaction is reset. A DATA the server took anyway is ended empty first."""
        if code == 421:
            self.close()
            return
        if data_code == 354:
            self.send(b".\r\n")
            self.getreply()
        self._rset()  # type: ignore[attr-defined]


def _quoted(address: str) -> str:
    """smtplib.quoteaddr, which parses each address with the RFC 5322 grammar (~25 us);
    a plain local@domain comes out of it as it went in, between angle brackets."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _crlf(text: str) -> str:
    """smtplib's `_fix_eols`: every line ending (CRLF, LF, lone CR) made CRLF. Its regular
    expression walked a batch's 100 KB message a character at a time."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _dot_stuffed(data: bytes) -> bytes:
    """smtplib's `_quote_periods`: a dot that starts a line is doubled (RFC 5321 4.5.2), by
    replacing rather than by its multi-line regular expression."""
    stuffed = data.replace(b"\n.", b"\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


def _options(options: Sequence[str]) -> str:
    return "".join(f" {o}" for o in options)


class PipeliningSMTP(_PipeliningMixin, smtplib.SMTP):
    pass


class PipeliningSMTP_SSL(_PipeliningMixin, smtplib.SMTP_SSL):
    pass


class _Smtplib:
    """smtplib, with the pipelining connections in place of its own."""

    SMTP = PipeliningSMTP
    SMTP_SSL = PipeliningSMTP_SSL

    def __getattr__(self, name: str) -> Any:
        return getattr(smtplib, name)


class TlsContextPerThread:
    """Stands in for the `ssl` module inside apprise's SMTP plugin. The plugin asks for a
    default context for every message, even to a relay without TLS: it gets one that is
    made when a connection first touches it, from its thread's own context, reset to
    verifying defaults then (the plugin relaxes it only for unverified relays). A thread
    sends one message at a time, so no context is shared between connections."""

    def __init__(self, real: ModuleType) -> None:
        self._real = real
        self._local = threading.local()

    def create_default_context(self, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return self._real.create_default_context(*args, **kwargs)
        return _DeferredContext(self._threads_context)

    def _threads_context(self) -> ssl.SSLContext:
        context: ssl.SSLContext | None = getattr(self._local, "context", None)
        if context is None:
            context = self._local.context = self._real.create_default_context()
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = True
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _DeferredContext:
    """An SSLContext taken only when first used."""

    def __init__(self, take: Callable[[], ssl.SSLContext]) -> None:
        vars(self)["_take"] = take

    def _context(self) -> ssl.SSLContext:
        context: ssl.SSLContext | None = vars(self).get("_taken")
        if context is None:
            context = vars(self)["_taken"] = vars(self)["_take"]()
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._context(), name, value)


def header_charset(text: str) -> str | None:
    """apprise's `NotifyEmail._get_charset`: UTF-8 only for text that is not all ASCII."""
    return None if not text or text.isascii() else "utf-8"


def fits(plugin: type) -> bool:
    """Whether the plugin is the email plugin (or one made from it) whose SMTP connection
    `install()` fitted."""
    return _fitted is not None and issubclass(plugin, _fitted)


def install() -> bool:
    """Fit apprise's email plugin with this module's SMTP connection (idempotent); False
    when apprise is laid out otherwise, and its own SMTP path is kept."""
    global _fitted
    try:
        from apprise.plugins.email import smtp
        from apprise.plugins.email.base import NotifyEmail
    except ImportError:
        return False
    if callable(getattr(NotifyEmail, "_get_charset", None)):
        NotifyEmail._get_charset = staticmethod(header_charset)  # type: ignore[method-assign]
    if getattr(smtp, "ssl", None) is ssl:
        vars(smtp)["ssl"] = TlsContextPerThread(ssl)
    if getattr(smtp, "smtplib", None) is smtplib:
        vars(smtp)["smtplib"] = _Smtplib()
    if isinstance(vars(smtp).get("smtplib"), _Smtplib):
        _fitted = NotifyEmail
    return _fitted is not None
