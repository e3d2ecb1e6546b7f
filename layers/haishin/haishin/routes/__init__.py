"""Inflow routes (流入経路): a named URL and QR code per campaign; LINE Login attributes the friend who comes by it."""
