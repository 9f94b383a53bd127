"""The bus contract: every message on Kafka is one of these pydantic models."""
