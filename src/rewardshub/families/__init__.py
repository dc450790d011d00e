"""Families: a parent or guardian's own portal sign-in, for the children staff linked to it.

A shared email only suggests a family (PMS syncs change emails, placeholders
are common): staff invite a guardian by email and confirm each link to a
child; the guardian verifies the email (the invitation's one-time link sets
the password) before seeing any child. The guardian then uses the portal's
own pages as the chosen child (portal.session.delegates), so each child's
points stay their own and orders go through the portal's order path.

Sits above the portal in the import order: it registers itself with the
portal and the jobs app in FamiliesConfig.ready.
"""
