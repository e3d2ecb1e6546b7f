"""Products, prices, Stripe Checkout and the Stripe webhook: a payment moves the friend into the right scenario, once.

``signature`` is stdlib only (the webhook verifies before anything heavy is imported); ``stripe`` itself is imported
lazily in ``haishin.stripe_api`` where the API is actually called.
"""
