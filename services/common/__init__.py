"""Pieces every service shares: configuration, runtime, logging."""
