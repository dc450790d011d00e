"""Campaigns: QR codes patients scan to collect points, and group awards.

Above points and automations in the app order: a collection and a group
award post to the ledger (points.ledger) under the profile locks, and a group
award honours the automatic-points exclusion tags (automations.state).
"""
