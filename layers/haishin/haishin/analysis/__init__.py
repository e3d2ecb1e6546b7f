"""Analyses of a workspace's friends (クロス分析: ``haishin.analysis.cross``)."""
