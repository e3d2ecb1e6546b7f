"""Scenarios (シナリオ / ステップ配信): definitions, enrollment, scheduling (the step tick) and the simulator."""
