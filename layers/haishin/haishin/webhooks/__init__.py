"""Outgoing webhooks: per-workspace endpoints, signed deliveries from a queue, retries (docs/production/webhooks.md).

``models`` (schemas and items), ``repository`` (the only PynamoDB code), ``signer`` (Haishin-Signature), ``sender``
(the SSRF-safe HTTP POST), ``service`` (endpoints, enqueue, deliver, test, replay), ``consumer`` (one queue record).
"""
