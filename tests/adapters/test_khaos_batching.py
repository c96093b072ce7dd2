"""Batched posting: credit notes collected for a short window and posted in one import, each
caller awaiting its own row; one bad row fails only its own return; the batch is reconciled
line by line and stays idempotent by ASSOCIATED_REF."""

from __future__ import annotations

import asyncio

import pytest

from adapters.erp.khaos import KhaosAdapter
from adapters.erp.protocol import external_id
from adapters.errors import NotFoundError, RetryableError
from adapters.sandbox.khaos import KhaosSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.khaos_fixtures import *  # noqa: F403
from tests.adapters.khaos_fixtures import make_khaos
from workflows.model import (
    CreditRequest,
    ErpCredit,
    ErpLineRequest,
    OrderRef,
    ReturnAuthorizationRequest,
)

ORDERS = ["#1001", "#1002", "#1003", "#1004", "#1005", "#1006"]


async def returns(adapter: KhaosAdapter, orders: list[str]) -> dict[str, str]:
    """Loop return id -> Khaos return code, one whole-order return per order."""
    codes = {}
    for n, name in enumerate(orders):
        rid = str(7000 + n)
        order = await adapter.find_sales_order(OrderRef(order_name=name))
        ra = await adapter.create_return_authorization(
            ReturnAuthorizationRequest(
                external_id=external_id(rid, "ra"),
                return_id=rid,
                order_id=order.id,
                lines=[
                    ErpLineRequest(order_line=x.line, item_id=x.item_id, quantity=x.quantity)
                    for x in order.lines
                ],
            )
        )
        codes[rid] = ra.id
    return codes


def credit(rid: str, return_code: str) -> CreditRequest:
    return CreditRequest(external_id=external_id(rid, "cm"), return_authorization_id=return_code)


@pytest.fixture
async def batched(khaos_served: ServedApp, khaos_control: KhaosSandboxControl):
    adapter = make_khaos(
        khaos_served.url, posting="batched", batch_window_seconds=0.2, batch_size=50
    )
    yield adapter
    await adapter.aclose()


async def test_concurrent_credits_go_out_as_one_import(
    batched: KhaosAdapter, khaos_control
) -> None:
    codes = await returns(batched, ORDERS[:4])
    results = await asyncio.gather(*(batched.create_credit(credit(r, c)) for r, c in codes.items()))
    assert [r.external_id for r in results] == [external_id(r, "cm") for r in codes]
    assert len({r.id for r in results}) == 4
    assert (await khaos_control.calls()).count("ImportCreditNotes") == 1
    notes = await khaos_control.documents("CreditNote")
    assert sorted(n["ref"] for n in notes) == sorted(external_id(r, "cm") for r in codes)


async def test_one_bad_row_fails_only_its_own_return(batched: KhaosAdapter, khaos_control) -> None:
    codes = await returns(batched, ORDERS[:3])
    requests = [credit(r, c) for r, c in codes.items()] + [credit("7999", "RT99999")]
    results = await asyncio.gather(
        *(batched.create_credit(r) for r in requests), return_exceptions=True
    )
    good, bad = results[:3], results[3]
    assert all(isinstance(r, ErpCredit) for r in good)
    assert isinstance(bad, NotFoundError) and bad.details["associated_ref"] == external_id(
        "7999", "cm"
    )
    assert (await khaos_control.calls()).count("ImportCreditNotes") == 1
    assert len(await khaos_control.documents("CreditNote")) == 3


async def test_a_full_batch_goes_out_without_waiting(
    khaos_served: ServedApp, khaos_control
) -> None:
    adapter = make_khaos(khaos_served.url, posting="batched", batch_window_seconds=30, batch_size=2)
    try:
        codes = await returns(adapter, ORDERS[:4])
        results = await asyncio.wait_for(
            asyncio.gather(*(adapter.create_credit(credit(r, c)) for r, c in codes.items())), 5
        )
        assert len(results) == 4
        assert (await khaos_control.calls()).count("ImportCreditNotes") == 2
    finally:
        await adapter.aclose()


async def test_a_lost_batch_answer_is_retried_without_duplicates(
    batched: KhaosAdapter, khaos_control
) -> None:
    codes = await returns(batched, ORDERS[:3])
    await khaos_control.lose_responses(4)  # more than the adapter's own retries
    lost = await asyncio.gather(
        *(batched.create_credit(credit(r, c)) for r, c in codes.items()), return_exceptions=True
    )
    assert all(isinstance(r, RetryableError) for r in lost)
    assert len(await khaos_control.documents("CreditNote")) == 3  # the first post committed
    # the activity retries: each row finds its note by ASSOCIATED_REF
    again = await asyncio.gather(*(batched.create_credit(credit(r, c)) for r, c in codes.items()))
    notes = await khaos_control.documents("CreditNote")
    assert sorted(n["code"] for n in notes) == sorted(r.id for r in again)


async def test_the_same_credit_twice_in_one_batch_is_one_row(
    batched: KhaosAdapter, khaos_control
) -> None:
    codes = await returns(batched, ORDERS[:1])
    [(rid, code)] = codes.items()
    first, second = await asyncio.gather(
        batched.create_credit(credit(rid, code)), batched.create_credit(credit(rid, code))
    )
    assert first.id == second.id
    assert len(await khaos_control.documents("CreditNote")) == 1
