"""The `vigie` command line."""
