"""Subscribers (友だち / 読者): one record per person across LINE, email and SMS."""
