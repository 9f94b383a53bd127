"""Resolver: from an accepted crisis event to who must be alerted."""
