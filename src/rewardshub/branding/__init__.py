"""A practice's branding: its logo and colours on the portal and in patient mail.

Settings > Branding (owners and admins) saves them on the Practice row
(`views.py`, `forms.py`, `actions.py`); the logo goes through the prize
pictures' checks and re-encoding and is stored as they are. The colours are
refused when they fail WCAG AA (`contrast.py`, no Django). The portal reads
them from its own stylesheet, /portal/brand.css, as CSS custom properties
(`views_portal.py`), since its CSP allows no inline style; the mails take
them from notify/brand.py and the card sheets read the logo themselves.
"""
