"""Slot booking for salons and lessons (エルメ / Lステップ 予約): staff, menus, slots, bookings."""
