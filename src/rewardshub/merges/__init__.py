"""Profile merge: two profiles of the same person become one.

Above every other app (it moves cards, tags, PMS links, portal accounts and
automatic-points state), so nothing below imports it. Ledger and audit rows
are append-only and hashed: nothing is re-pointed; the merged profile's
balance moves as a pair of entries and the merged profile stays as a
tombstone (Profile.merged_into) whose username leads to the survivor.
"""
