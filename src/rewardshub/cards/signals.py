"""Signals the cards app sends, for apps above it (automatic points pays a
welcome when a patient's first card is connected) without cards importing them."""

from django.dispatch import Signal

# Sent inside the connecting transaction, with `card` and `profile`.
card_activated = Signal()
