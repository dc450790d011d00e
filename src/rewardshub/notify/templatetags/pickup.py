"""`{% pickup_marked orders as ready %}`: the ids of the listed orders staff marked
ready to pick up, in one query, for the Orders page's "Ready for pickup" button."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from rewardshub.notify.models import PickupNotice
from rewardshub.points.models import PrizeOrder

register = template.Library()


@register.simple_tag
def pickup_marked(orders: Iterable[PrizeOrder]) -> set[int]:
    listed = list(orders)
    if not listed:
        return set()
    found = PickupNotice.objects.filter(
        practice_id=listed[0].practice_id, order_id__in=[order.pk for order in listed]
    )
    return set(found.values_list("order_id", flat=True))
