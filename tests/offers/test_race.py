"""Concurrent redemptions on PostgreSQL: real threads, each on its own database
connection, released together by a barrier, through the API."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from offers.models import Offer, Redemption
from tests.factories import OfferFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _redeem_concurrently(offer: Offer, users: list) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(users))
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def redeem(user) -> None:
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(30)
            response = client.post(f"/api/v1/offers/{offer.pk}/redeem/")
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == len(users), "a request did not finish"
    return results


def test_fifty_members_at_once_for_ten_redemptions_get_exactly_ten(postgres_required):
    offer = OfferFactory(max_redemptions=10, code="TEN")
    users = [UserFactory() for _ in range(50)]
    results = _redeem_concurrently(offer, users)
    assert Counter(status for status, _ in results) == {201: 10, 409: 40}
    assert {body["code"] for status, body in results if status == 201} == {"TEN"}
    assert {body["code"] for status, body in results if status == 409} == {"sold_out"}
    offer.refresh_from_db()
    assert offer.redemption_count == 10
    assert Redemption.objects.filter(offer=offer).count() == 10


def test_one_member_twenty_times_at_once_redeems_once(postgres_required):
    offer = OfferFactory(max_redemptions=10, code="ONCE")
    user = UserFactory()
    results = _redeem_concurrently(offer, [user] * 20)
    assert Counter(status for status, _ in results) == {201: 1, 200: 19}
    assert {body["code"] for _, body in results} == {"ONCE"}
    offer.refresh_from_db()
    assert offer.redemption_count == 1
    assert Redemption.objects.filter(offer=offer, user=user).count() == 1
