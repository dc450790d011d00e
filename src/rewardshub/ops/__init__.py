"""Operator tools that are not an app: backup and restore of the hub's database."""
