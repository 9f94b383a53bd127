class InvalidEvent(ValueError):
    """A crisis event that cannot be accepted; the message says why, for a person."""
