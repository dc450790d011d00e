"""Lets `python -m rewardshub_bridge` work where the console script is not installed."""

import sys

from rewardshub_bridge.cli import main

sys.exit(main())
