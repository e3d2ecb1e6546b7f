"""Coupons (クーポン): shared or unique codes, handed out by a message variable, redeemed once, counted."""
