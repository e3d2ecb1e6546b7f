"""The admin API's HTTP layer: routers that map requests to domain services. Domain logic lives elsewhere."""
