"""Domain logic: what the service does, independent of HTTP and of Lambda."""
