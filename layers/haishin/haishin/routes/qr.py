"""QR codes of route URLs with segno (a maintained, pure-Python QR library, in the ``deps_render`` layer; imported
lazily, so no cold start pays for it)."""

from __future__ import annotations

import io

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def qr_code(url: str, fmt: str, *, scale: int = 8) -> tuple[bytes, str]:
    """The QR code of ``url`` as PNG or SVG bytes and its media type (error correction M, a quiet zone of 4)."""
    import segno  # noqa: PLC0415 - deps_render layer; off every cold start

    if fmt not in FORMATS:
        raise ValueError(fmt)
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind=fmt, scale=scale, border=4)
    return out.getvalue(), FORMATS[fmt]
