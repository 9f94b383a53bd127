"""Reading crisis events: Vigie's JSON and CAP 1.2 (or 1.1) XML as real issuers write it.
Shared by ingest (the crisis centre's events) and the watch (other issuers' alerts)."""
