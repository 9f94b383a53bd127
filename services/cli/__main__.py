"""`python -m services.cli`: the `vigie` command."""

from services.cli.entry import main

main()
