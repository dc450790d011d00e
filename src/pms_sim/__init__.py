"""Orthotrac-like practice-management simulator, for the demo and end-to-end tests.

It talks to the hub only through `rewardshub_bridge.client.HubClient`, so
whatever it shows exercises the real integration contract.
"""
