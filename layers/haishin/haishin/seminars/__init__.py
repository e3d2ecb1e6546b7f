"""Seminars and events (セミナー・イベント): sessions, registration with capacity and waitlist, attendance."""
