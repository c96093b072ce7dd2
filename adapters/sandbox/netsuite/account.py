"""One simulated NetSuite account: its records, preferences, governance, login audit and
fault knobs, with a reset back to the seeded catalog."""

from __future__ import annotations

from typing import Any

from adapters.sandbox.catalog import Catalog
from adapters.sandbox.faults import FaultConfig, FaultInjector

from .errors import status_body
from .middleware import Governance, LostAnswers
from .oauth2 import Certificate, OAuth2Issuer
from .render import render
from .seed import seed
from .store import Preferences, Store
from .tba import TbaCredentials, TbaVerifier


class SandboxAccount:
    def __init__(
        self,
        catalog: Catalog,
        *,
        account_id: str,
        credentials: TbaCredentials,
        concurrency_limit: int,
        preferences: Preferences,
        certificates: tuple[Certificate, ...] = (),
    ) -> None:
        self._seed_catalog = catalog.model_copy(deep=True)
        self._seed_prefs = preferences
        self._seed_limit = concurrency_limit
        self.account_id = account_id
        self.verifier = TbaVerifier(account_id, credentials)
        self.oauth2 = OAuth2Issuer(account_id, self.verifier.audit, certificates)
        self.injector = FaultInjector(status_body)
        self.governance = Governance(account_limit=concurrency_limit)
        self.lost = LostAnswers()
        self.catalog = self._seed_catalog
        self.prefs = preferences
        self.store = Store()
        self.reset()

    def reset(self) -> None:
        """Back to the seeded catalog: records, stock, audit, faults, governance, preferences."""
        self.catalog = self._seed_catalog.model_copy(deep=True)
        self.prefs = Preferences(**vars(self._seed_prefs))
        self.store = Store()
        seed(
            self.store,
            self.catalog,
            main_id=self.prefs.main_location_id,
            holding_id=self.prefs.holding_location_id,
        )
        self.verifier.reset()
        self.oauth2.reset()
        self.injector.configure(FaultConfig())
        self.governance.reset(self._seed_limit)
        self.lost.remaining = self.lost.lost = 0

    def dump(
        self, base: str, record_type: str | None = None, *, with_records: bool = True
    ) -> dict[str, Any]:
        """Every record as the API would show it (links stripped), stock, audit, settings."""
        types = [record_type] if record_type else list(self.store.records)
        types = types if with_records else []
        records = {
            t: [_strip_links(render(self.store, r, base, expand=True)) for r in rs.values()]
            for t in types
            if (rs := self.store.records.get(t))
        }
        inventory = [
            {
                "item": item,
                "sku": self.store.records["inventoryItem"][item].fields.get("itemId"),
                "location": location,
                "onHand": on_hand,
                "available": on_hand if self.store.available(location) else 0,
            }
            for (item, location), on_hand in sorted(self.store.on_hand.items())
        ]
        return {
            "accountId": self.account_id,
            "records": records,
            "inventory": inventory,
            "loginAudit": list(self.verifier.audit),
            "governance": self.governance.stats(),
            "lostAnswers": {"remaining": self.lost.remaining, "lost": self.lost.lost},
            "faults": {
                "config": self.injector.config.model_dump(),
                "injected": self.injector.injected,
            },
            "preferences": vars(self.prefs),
        }


def _strip_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_links(v) for k, v in value.items() if k != "links"}
    if isinstance(value, list):
        return [_strip_links(v) for v in value]
    return value
