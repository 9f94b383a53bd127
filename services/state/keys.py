"""Every Redis key Vigie uses, in one place.

A crisis's keys carry its identifier as a hash tag (`{CRISIS}`): under Redis Cluster they
sit on one slot, so a script may touch any of them at once. The directory's people are
kept per tile of the map (`{TILE}`): a crisis reads the tiles it covers, and the tiles
spread over the shards. Keys of no crisis or tile (the directory's small indexes, rate
limits, timers) are each read on their own.
"""

import math

from schemas.crisis import Channel

# --- a crisis


def crisis(crisis_id: str) -> str:
    """Its latest event and its state (active, cancelled) and notes."""
    return f"crisis:{{{crisis_id}}}"


def events(crisis_id: str) -> str:
    """identifier -> each event of the crisis, as published."""
    return f"crisis:{{{crisis_id}}}:events"


def unsent(crisis_id: str) -> str:
    """identifier -> why an event was not sent (a drill, a superseded update...)."""
    return f"crisis:{{{crisis_id}}}:unsent"


def status(crisis_id: str) -> str:
    """The crisis's counters (targeted, sent, failed... per channel, post and island)."""
    return f"status:{{{crisis_id}}}"


def waiting(crisis_id: str) -> str:
    """Batches waiting for a provider, scored by when their wait ends."""
    return f"waiting:{{{crisis_id}}}"


RECENT_CRISES = "crises:recent"  # crisis id -> time of its newest event


def deliveries(crisis_id: str, event_id: str, channel: Channel) -> str:
    """person -> the state of their delivery of this event on this channel. A hash per event
    and channel, keyed by the person alone: a field per delivery named "event|person|channel"
    in one hash per crisis cost Redis a fifth more (the scripts built each name)."""
    return f"deliveries:{{{crisis_id}}}:{event_id}:{channel.value}"


def addressbook(crisis_id: str) -> str:
    """ "channel:address" -> who it reached (services/state/addressbook.py)."""
    return f"addressbook:{{{crisis_id}}}"


def roles(crisis_id: str) -> str:
    """person -> what they were asked in this crisis (safety check, leader, reservist)."""
    return f"roles:{{{crisis_id}}}"


def answers(crisis_id: str) -> str:
    """person -> their latest safety answer and when they gave it."""
    return f"safety:{{{crisis_id}}}"


def needing_help(crisis_id: str) -> str:
    """People who need help, with their island, post and a contact for the post."""
    return f"help:{{{crisis_id}}}"


def unread_replies(crisis_id: str) -> str:
    return f"replies:{{{crisis_id}}}:unread"


def unread_count(crisis_id: str) -> str:
    return f"replies:{{{crisis_id}}}:unread:count"


def failed_people(crisis_id: str) -> str:
    """person -> "post|island", for each person a delivery of the crisis failed to, or the
    directory gave no contact point: the call list checks whether another channel reached
    them."""
    return f"failed:{{{crisis_id}}}"


def fallbacks(crisis_id: str) -> str:
    """ "event|person", set once a national every channel of an alert failed to was
    given that alert's one try on their other channels."""
    return f"fallback:{{{crisis_id}}}"


def call_list_reads(crisis_id: str) -> str:
    """Who read the crisis's call list (with people's phone numbers in clear), and when."""
    return f"calllist:{{{crisis_id}}}:reads"


def escalations(crisis_id: str) -> str:
    """island -> where its leader's escalation stands."""
    return f"escalation:{{{crisis_id}}}"


def acks(crisis_id: str) -> str:
    """island -> who acknowledged the alert for it."""
    return f"acks:{{{crisis_id}}}"


def needs(crisis_id: str) -> str:
    """need -> the reservists asked for it and their answers."""
    return f"needs:{{{crisis_id}}}"


def need_lock(crisis_id: str, need_id: str) -> str:
    return f"lock:{{{crisis_id}}}:need:{need_id}"


def signers(crisis_id: str) -> str:
    """identifier -> the operator who signed the event."""
    return f"signers:{{{crisis_id}}}"


def holds(crisis_id: str) -> str:
    """identifier -> an event waiting for a second operator."""
    return f"holds:{{{crisis_id}}}"


def rejected(crisis_id: str) -> str:
    """identifier -> why an event was refused."""
    return f"rejected:{{{crisis_id}}}"


HELD_INDEX = "held"  # event identifier -> crisis id, for `vigie approve` and the status

# --- across crises


def seen_event(sender: str, identifier: str) -> str:
    """An event already taken in: a second copy is dropped."""
    return f"ingest:seen:{sender}:{identifier}"


def engaged(reservist_id: str) -> str:
    """Which crisis a reservist is engaged for; expires with the mission."""
    return f"reservist:engaged:{reservist_id}"


def timers(name: str) -> str:
    return f"timers:{name}"


def rate_bucket(channel: Channel) -> str:
    """The channel's provider capacity, shared by every dispatcher."""
    return f"ratelimit:{{{channel.value}}}"


def priority_waiting(channel: Channel) -> str:
    """Set while priority sends wait for the channel's capacity: routine sends yield."""
    return f"ratelimit:{{{channel.value}}}:priority-waiting"


# --- the directory

TILE_DEGREES = 5
DIRECTORY_VERSION = "dir:version"
POSTS = "dir:posts"
ISLANDS = "dir:islands"
RESERVISTS = "dir:reservists"
RESERVISTS_GEO = "dir:reservists:geo"
NATIONAL_WHERE = "dir:national:where"
TRIP_WHERE = "dir:trip:where"


def tile_of(lat: float, lon: float) -> str:
    return f"{math.floor(lat / TILE_DEGREES)}:{math.floor(lon / TILE_DEGREES)}"


def tiles_covering(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> list[str]:
    rows = range(math.floor(min_lat / TILE_DEGREES), math.floor(max_lat / TILE_DEGREES) + 1)
    cols = range(math.floor(min_lon / TILE_DEGREES), math.floor(max_lon / TILE_DEGREES) + 1)
    return [f"{r}:{c}" for r in rows for c in cols]


def national_geo(tile: str) -> str:
    return f"dir:{{{tile}}}:national:geo"


def national_data(tile: str) -> str:
    return f"dir:{{{tile}}}:national"


def trip_geo(tile: str) -> str:
    return f"dir:{{{tile}}}:trip:geo"


def trip_data(tile: str) -> str:
    return f"dir:{{{tile}}}:trip"


def country_members(kind: str, country: str) -> str:
    return f"dir:country:{country}:{kind}"


def region_members(kind: str, region: str) -> str:
    return f"dir:region:{region}:{kind}"


# --- the watch (veille): other issuers' alerts, listed, never sent

WATCH_ALERTS = "watch:alerts"  # "sender identifier" -> the alert as listed
WATCH_ENDED = "watch:ended"  # "sender identifier" -> when it was cancelled or replaced
WATCH_SOURCES = "watch:sources"  # source name -> its health (last success, errors...)


def watch_document(alert_key: str) -> str:
    """The alert's CAP document as its issuer wrote it, for relaying."""
    return f"watch:document:{alert_key}"


def watch_draft(alert_key: str) -> str:
    """A draft of ours its source's policy had prepared, as `vigie relay` writes it."""
    return f"watch:draft:{alert_key}"


def watch_fetched(source: str) -> str:
    """URL -> when a source's CAP document was fetched: each is fetched once."""
    return f"watch:fetched:{source}"


def watch_poll(source: str) -> str:
    """Held by the replica polling the source this interval."""
    return f"watch:poll:{source}"
