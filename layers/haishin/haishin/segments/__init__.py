"""The segment model (絞り込み) and its evaluator, shared by search, counts, exports and broadcasts."""
