"""Compact JSON (no spaces) from one encoder: `json.dumps` with separators makes a new
encoder at every call, which shows where thousands of values are encoded at once."""

import json
from json.encoder import encode_basestring_ascii

_ENCODER = json.JSONEncoder(separators=(",", ":"))


def dumps(value: object) -> str:
    return _ENCODER.encode(value)


# A string's JSON, as `dumps` writes it, without the encoder's calls around it: for JSON put
# together by hand where thousands of strings go at once (tokens, email batch headers).
string = encode_basestring_ascii
