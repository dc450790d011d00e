"""PMS-side client for the RewardsHub integration API (standard library only).

What Orthotrac's "Patient Rewards Hub" menu items run: `rewardshub-bridge`.
The contract it speaks is docs/integration-api.md.
"""

from rewardshub_bridge.client import HubClient, HubError

__all__ = ["HubClient", "HubError"]
