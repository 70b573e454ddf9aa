"""Small builders for content tests."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.contrib.auth.models import Group, User

from content.models import Product

_counter = itertools.count(1)


def make_product(**fields) -> Product:
    n = next(_counter)
    defaults = {
        "sku": f"SKU-{n:05d}", "slug": f"product-{n}", "title": f"Product {n}", "brand": "Acme", "category": "shirts",
        "attributes": {"material": "polyester", "colour": "blue"}, "price": Decimal("19.90"), "stock": 5,
    }
    return Product.objects.create(**(defaults | fields))


def make_user(role: str | None, username: str | None = None) -> User:
    user = User.objects.create_user(username or f"{role or 'nobody'}-{next(_counter)}", password="pw", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)  # fresh permission cache
