"""LINE event ingestion: the webhook's verify-and-enqueue (``webhook``, stdlib only) and the consumer's event
processing (``processor``, ``idempotency``, ``autoreplies``, ``triggers``). Import submodules directly: this package
must stay free of imports so the webhook path stays cheap."""
