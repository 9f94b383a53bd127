"""The embedded stack: a local Kafka-protocol broker and Redis, for the demo and tests."""
