"""A local stand-in for the part of the Stripe API Haishin uses, sending correctly signed webhook events.

emulator = StripeEmulator().start()
emulator.register_webhook("http://127.0.0.1:3000/stripe/webhook/w_1", "whsec_...")
StripeClient("sk_test_...", base_addresses={"api": emulator.base_url})
"""

from .core import StripeState, sign_payload
from .server import StripeEmulator

__all__ = ["StripeEmulator", "StripeState", "sign_payload"]
