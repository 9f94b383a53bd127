"""Production deployment descriptions generated from the code (topics, services)."""
