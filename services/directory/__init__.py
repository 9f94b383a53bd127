"""The directory: posts, security islands, nationals, trips and reservists, in Redis."""
