"""A LINE Messaging API emulator for running and testing Haishin offline with the real line-bot-sdk.

emulator = LineEmulator().start()
emulator.register_channel("1234567890", "secret", "token", webhook_url="http://127.0.0.1:3000/line/webhook/1234567890")
Configuration(host=emulator.base_url, access_token="token")
"""

from .emulator import ApiResponse, Emulator
from .limits import DEFAULT_RATE_LIMITS
from .server import LineEmulator
from .webhook import sign

__all__ = ["DEFAULT_RATE_LIMITS", "ApiResponse", "Emulator", "LineEmulator", "sign"]
