"""Where the adapter posts stock and money in this NetSuite account: locations and accounts.

The workflow speaks in symbolic names ("holding", "sellable", "refurb"); each account's ids
differ, so they are configuration, never constants. A name the books do not know is an
unmapped location (a person maps it), never a silent default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.errors import BusinessError, UnmappedLocationError

UNMAPPED_LOCATION = "UNMAPPED_LOCATION"


@dataclass(frozen=True)
class NetSuiteBooks:
    # symbolic name -> internal id of a location ("holding" is the adapter's holding_location_id)
    locations: dict[str, str] = field(default_factory=dict)
    sellable_location: str = "sellable"  # where availability for exchanges is counted
    scrap_account_id: str | None = None  # inventory adjustment (write-off) account
    store_credit_account_id: str | None = None  # gift card clearing (bank-type) account
    store_credit_payment_method_id: str | None = None
    storefront_refund_account_id: str | None = None  # storefront payout clearing account
    # the checkbox custom body field on RAs that means "a person must review this return"
    review_field: str = "custbody_rf_review"

    def location(self, name: str) -> str:
        """Internal id for a symbolic name; an all-digit value is already an internal id."""
        if name in self.locations:
            return self.locations[name]
        if name.isdigit():
            return name
        raise UnmappedLocationError(
            f"NetSuite location {name!r} is not mapped (books.locations)",
            kind="location",
            value=name,
            code=UNMAPPED_LOCATION,
        )

    def required(self, value: str | None, what: str) -> str:
        if not value:
            raise BusinessError(f"NetSuite {what} is not configured", code="UNCONFIGURED")
        return value
