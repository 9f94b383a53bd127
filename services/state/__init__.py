"""What the services keep and share in Redis: every key (keys.py) and the typed helpers that
read and write the data more than one service uses. Services share Redis only through
this package, as they share Kafka only through schemas/."""
