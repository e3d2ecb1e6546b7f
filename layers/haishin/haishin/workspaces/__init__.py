"""Workspaces (one business each) and their connected LINE channels."""
