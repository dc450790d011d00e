"""Contests: a name, dates, rules, and points for taking part and for winning.

Staff enter participants (found by name or everyone with a tag) and pick
winners; each participant's and each winner's points are paid once (a unique
row per contest, patient and prize under the contest entry's lock) through
points.rewards.pay_or_hold, so the practice's Pending rewards choice applies.
Sits above `points`, beside `automations`; the portal reads open contests.
"""
