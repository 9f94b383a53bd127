"""Ingest: validate, de-duplicate and hand on crisis events; dead-letter the rest."""
