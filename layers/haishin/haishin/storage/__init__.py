"""Data access. PynamoDB models live next to the domain that owns them; this package holds what they share."""
