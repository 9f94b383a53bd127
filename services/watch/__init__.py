"""The watch (veille): other issuers' official alerts, matched to our people and listed for
the duty officer; it never alerts anyone by itself."""
