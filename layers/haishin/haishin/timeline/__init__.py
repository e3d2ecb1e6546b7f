"""The friend's timeline: every change and every message in and out, newest first."""
