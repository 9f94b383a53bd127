"""What the crisis centre sees of a crisis: gathered once, shown in the terminal
(`vigie status`, `--watch`) and on the read-only web page."""
