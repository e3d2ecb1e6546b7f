"""Per-workspace e-mail sender identities (送信者情報): From name + address + reply-to, verified in SES, and the
composition of every marketing e-mail (特定電子メール法 footer, text part) and SMS (sender name, opt-out text)."""
