"""Haishin's local system: runtime, emulators and developer tools. Never deployed as application code."""
