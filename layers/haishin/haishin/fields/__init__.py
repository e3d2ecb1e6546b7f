"""Field definitions (友だち情報 / 読者項目) and typed values."""
