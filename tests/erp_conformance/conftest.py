"""The conformance suite's one fixture: `erp`, a driver for each ERP's sandbox in turn."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.sandbox.khaos import KhaosSandboxControl
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.prima import PrimaSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.khaos_fixtures import *  # noqa: F403
from tests.adapters.khaos_fixtures import make_khaos
from tests.adapters.netsuite_fixtures import *  # noqa: F403
from tests.adapters.netsuite_fixtures import make_adapter as make_netsuite
from tests.adapters.prima_fixtures import *  # noqa: F403
from tests.adapters.prima_fixtures import make_prima
from tests.erp_conformance.drivers import (
    NETSUITE_BOOKS,
    Driver,
    KhaosDriver,
    NetSuiteDriver,
    PrimaDriver,
)

ERPS = ["netsuite", "khaos", "prima"]


@pytest.fixture(params=ERPS)
async def erp(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    driver: Driver
    if request.param == "netsuite":
        served: ServedApp = request.getfixturevalue("netsuite_served")
        driver = NetSuiteDriver(
            make_netsuite(served.url, books=NETSUITE_BOOKS), NetSuiteSandboxControl(served.url)
        )
    elif request.param == "khaos":
        served = request.getfixturevalue("khaos_served")
        driver = KhaosDriver(make_khaos(served.url), KhaosSandboxControl(served.url))
    else:
        served = request.getfixturevalue("prima_served")
        driver = PrimaDriver(make_prima(served.url), PrimaSandboxControl(served.url))
    await driver.reset()
    yield driver
    await driver.aclose()
