"""配信停止 (opt-out): signed /u/{token} links, per channel or all channels."""
