"""Running the service: Redis connections, logging, metrics, health and the launcher."""
