"""An account's concurrency limit from its service tier and SuiteCloud Plus licences, as NetSuite
sizes it (reference: netsuite-rest.md, "Concurrency governance"): a base per tier, +10 per
licence. Development and partner accounts stay at 5 whatever they hold.
"""

from __future__ import annotations

PER_SUITECLOUD_PLUS = 10

# tier -> (base limit, most SuiteCloud Plus licences it can take; None: not documented)
TIERS: dict[str, tuple[int, int | None]] = {
    "standard": (5, 1),
    "premium": (15, 3),
    "enterprise": (20, 6),
    "ultimate": (20, 12),
    # contracts before June 2020
    "shared": (5, None),
    "tier3": (5, None),
    "tier2": (10, None),
    "tier1": (15, None),
    "tier0": (20, None),
    "development": (5, 0),
}


def concurrency_limit(tier: str, suitecloud_plus: int = 0) -> int:
    base, most = TIERS[tier.lower()]
    if suitecloud_plus < 0 or (most is not None and suitecloud_plus > most):
        raise ValueError(f"tier {tier} cannot hold {suitecloud_plus} SuiteCloud Plus licences")
    if tier.lower() == "development":
        return base
    return base + PER_SUITECLOUD_PLUS * suitecloud_plus
