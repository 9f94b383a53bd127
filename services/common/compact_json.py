"""Compact JSON (no spaces) from one encoder: `json.dumps` with separators makes a new
encoder at every call, which shows where thousands of values are encoded at once."""

import json

_ENCODER = json.JSONEncoder(separators=(",", ":"))


def dumps(value: object) -> str:
    return _ENCODER.encode(value)
