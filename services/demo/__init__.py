"""`vigie demo`: the whole pipeline on the embedded stack with sample data."""
