"""The directory read by place: areas, the posts and islands they meet, the people inside.
Shared by the resolver (who a crisis reaches) and the watch (who a foreign alert covers)."""
