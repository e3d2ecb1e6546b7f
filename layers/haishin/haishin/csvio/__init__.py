"""CSV import and export that Japanese marketers' files (Shift_JIS, Excel BOMs, 和暦-free Japanese dates) survive."""
