"""A provider's apprise URL template, read once; each send fills in its recipients.

Parsing a URL that lists a thousand recipients (and their recipient variables) costs more
than sending to them, so the template is parsed with stand-ins for its placeholders, and
each send swaps the stand-ins in the parsed fields for its own values.
"""

from typing import Any

import apprise
from apprise.manager_plugins import NotificationManager
from apprise.plugins import url_to_dict

from services.common.config import ConfigurationError
from services.dispatcher import smtp_client

TO, KEY, VARIABLES = "{to}", "{key}", "{variables}"
_STAND_INS = {TO: "vigie-to@to.invalid", KEY: "vigie-key", VARIABLES: "vigie-variables"}


class BadProviderUrl(ConfigurationError):
    pass


class ProviderUrl:
    def __init__(self, name: str, template: str) -> None:
        """`name`: the setting the template comes from, for error messages."""
        self.merges = VARIABLES in template
        if TO not in template:
            raise BadProviderUrl(f"{name} has no {TO} where the recipients go")
        url = template
        for placeholder, stand_in in _STAND_INS.items():
            url = url.replace(placeholder, stand_in)
        parsed = url_to_dict(url)  # type: ignore[no-untyped-call]
        if parsed is None:
            raise BadProviderUrl(f"{name} is not a URL apprise can use")
        self.parsed: dict[str, Any] = parsed
        self.plugin = NotificationManager()[parsed["schema"]]  # type: ignore[no-untyped-call]
        self.asset = apprise.AppriseAsset()
        self.over_smtp = smtp_client.fits(self.plugin)
        # The recipients go in the email plugin's Bcc: they are then added to it as they
        # are. The plugin would match each against its email grammar (two regular
        # expressions, a sixth of an email batch), and drop one it finds wanting while
        # the send still succeeds, so that person would count as reached. The directory
        # checked each address on import; one the relay refuses fails as any refusal does.
        self.bcc_batch = self.over_smtp and parsed.get("bcc") == _STAND_INS[TO]

    def notifier(self, addresses: list[str], values: dict[str, str]) -> Any:
        """The apprise plugin for these addresses; `values` fill the other placeholders.
        Made as `Apprise.instantiate` makes it, less its log lines: they write out every
        field (every recipient, and the recipient variables) before the logger can decide
        to drop them, a tenth of an email batch."""
        filled = {**values, TO: ",".join(addresses)}
        fields = _fill(self.parsed, addresses, {_STAND_INS[p]: v for p, v in filled.items()})
        if not self.plugin.enabled:
            return None
        if self.bcc_batch:
            fields["bcc"] = None
        try:
            notifier = self.plugin(**fields, tag=set(), asset=self.asset)
        except Exception:  # a plugin refusing these arguments: no notifier, a refused send
            return None
        if self.bcc_batch:
            notifier.bcc.update(addresses)
        return notifier if notifier.enabled else None


def _fill(value: Any, addresses: list[str], replacements: dict[str, str]) -> Any:
    if isinstance(value, str):
        for stand_in, replacement in replacements.items():
            if stand_in in value:
                value = value.replace(stand_in, replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, addresses, replacements) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        items: list[Any] = []
        for item in value:
            if item == _STAND_INS[TO]:
                items.extend(addresses)  # a list of recipients gets each one
            else:
                items.append(_fill(item, addresses, replacements))
        return type(value)(items)
    return value
