"""Funnels (ファネル): ordered pages built from blocks, served by the pages function at /f/<ws>/<funnel>/<page>."""
