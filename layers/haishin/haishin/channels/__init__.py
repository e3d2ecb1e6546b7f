"""Connecting LINE Official Accounts (Messaging API channels): connect, rotate the token, disconnect, activity."""
