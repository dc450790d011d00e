"""Profiles, their tags and the staff patient pages.

The one app arrow left against the order practices <- patients <- cards: patients
imports cards (cards/numbers.py, without Django, may be imported by anyone). A card
is how a profile begins: its number becomes the username for life, claimed and
activated in the profile's own transaction (create_profile, used by Add member, the
PMS sync and the demo). The list rows and the profile header show the active card,
and the search box opens a profile by a swiped or typed card number. Moving these
into cards would make cards the home of the patient pages, and a hook for each
would scatter one flow across two apps; so they stay, and cards imports only
patients models, queries and actions, never its pages.
"""
