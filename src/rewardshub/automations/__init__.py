"""Automatic points: the PMS's appointment book and the practice's rules pay points on their own.

Sits above `points` (it posts ledger entries through the ledger's own
functions) and below `integrations` (whose API hands it appointments and
tells it when a chart links). The rules themselves are plain functions over
plain values (rules.py); the actions (actions.py) store appointments and make
the ledger agree with what the rules give, exactly once.
"""
