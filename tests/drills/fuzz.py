"""Ingress fuzz: hypothesis-generated bodies and signature headers at POST /webhooks/loop.

Cases are drawn up front (a seeded hypothesis run that only collects them), then posted at
the real ingress, so the ingress runs on its own server thread exactly as in production. The
ingress sends to a task queue no worker polls: signed events start workflows that just wait.

Expected: no 2xx without a valid signature, never a 5xx, every delivery in the webhook log,
every signed well-formed event accepted and its workflow started.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from temporalio.client import Client

from adapters.loop.signature import HEADER, loop_json, sign
from adapters.store import Store
from tests.drills.chaos import bounded
from tests.drills.courier import Courier
from tests.harness import WEBHOOK_SECRET
from workers.ingress import workflow_id

FIRST_ID = 9_000_000_000  # far from any id the sandboxes hand out
SIGNATURES = ("valid", "missing", "wrong_secret", "garbage", "other_body", "tampered")


@dataclass(frozen=True)
class Case:
    kind: str  # "event" (well formed, must be accepted when signed), "json", "bytes", "broken"
    body: bytes
    signature: str
    content_type: str

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type}
        mode = self.signature
        if mode == "valid":
            headers[HEADER] = sign(self.body, WEBHOOK_SECRET)
        elif mode == "wrong_secret":
            headers[HEADER] = sign(self.body, WEBHOOK_SECRET + "-old")
        elif mode == "other_body":
            headers[HEADER] = sign(self.body + b" ", WEBHOOK_SECRET)
        elif mode == "tampered":
            headers[HEADER] = sign(self.body, WEBHOOK_SECRET)
        elif mode.startswith("garbage:"):
            headers[HEADER] = mode.removeprefix("garbage:")
        return headers

    def sent_body(self) -> bytes:
        """A tampered case flips one byte after signing: the signature no longer fits."""
        if self.signature != "tampered":
            return self.body
        return bytes([self.body[0] ^ 1]) + self.body[1:] if self.body else b"x"

    @property
    def signed_ok(self) -> bool:
        return self.signature == "valid"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
header_text = st.text(
    alphabet=string.ascii_letters + string.digits + "+/=-_ ", min_size=0, max_size=60
)


@st.composite
def label_events(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed Loop label webhook with extra unknown fields (kept, never refused)."""
    rid = draw(st.integers(FIRST_ID, FIRST_ID + 999))
    event: dict[str, Any] = {
        "topic": "label",
        "trigger": draw(st.sampled_from(["label.created", "label.updated"])),
        "id": draw(st.sampled_from([rid, str(rid)])),
        "label_status": draw(st.sampled_from(["new", "in_transit", "delivered"])),
        "tracking_number": draw(st.text(string.ascii_uppercase + string.digits, max_size=12)),
    }
    extra = draw(st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=4))
    return {**{k: v for k, v in extra.items() if k not in event}, **event}


@st.composite
def broken_events(draw: st.DrawFn) -> dict[str, Any]:
    """Loop-shaped but wrong: a field missing, mistyped or empty."""
    event: dict[str, Any] = {"topic": "label", "trigger": "label.updated", "id": FIRST_ID}
    key = draw(st.sampled_from(sorted(event)))
    if draw(st.booleans()):
        del event[key]
    else:
        event[key] = draw(st.sampled_from([None, "", True, [], {}, 1.5, "  "]))
    return event


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["event", "event", "json", "bytes", "broken"]))
    if kind == "event":
        body = loop_json(draw(label_events()))
    elif kind == "broken":
        body = loop_json(draw(broken_events()))
    elif kind == "json":
        body = json.dumps(draw(json_values)).encode()
    else:
        body = draw(st.binary(max_size=300))
    mode = draw(st.sampled_from(SIGNATURES))
    if mode == "garbage":
        mode = "garbage:" + draw(header_text).strip()
    content_type = draw(st.sampled_from(["application/json", "text/plain", "application/x-www"]))
    return Case(kind, body, mode, content_type)


def draw_cases(n: int, run_seed: int = 1) -> list[Case]:
    drawn: list[Case] = []

    @seed(run_seed)
    @settings(
        max_examples=n,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(cases())
    def collect(case: Case) -> None:
        drawn.append(case)

    collect()
    return drawn


@dataclass
class FuzzResult:
    cases: int
    statuses: Counter[int | None] = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
            "findings": self.findings[:20],
        }


async def fuzz_ingress(
    ingress_url: str, store: Store, client: Client, drawn: list[Case], concurrency: int = 16
) -> FuzzResult:
    result = FuzzResult(cases=len(drawn))
    answers: dict[int, int | None] = {}
    courier = Courier(ingress_url)

    async def post(index: int) -> None:
        case = drawn[index]
        answers[index] = (await courier.post(case.sent_body(), case.headers())).status

    try:
        await bounded(list(range(len(drawn))), concurrency, post)
    finally:
        await courier.aclose()
    for index, case in enumerate(drawn):
        status = answers[index]
        result.statuses[status] += 1
        if status is None or status >= 500:
            result.findings.append(f"{status} for {case}")
        elif 200 <= status < 300 and not case.signed_ok:
            result.findings.append(f"accepted with a bad signature: {case}")
        elif case.signed_ok and case.kind == "event" and not 200 <= status < 300:
            result.findings.append(f"signed valid event refused ({status}): {case}")
        elif not case.signed_ok and status != 401:
            result.findings.append(f"bad signature answered {status}, not 401: {case}")
    rows = store.list_webhooks(limit=len(drawn) + 10)
    if len(rows) != len(drawn):
        result.findings.append(f"webhook log holds {len(rows)} deliveries of {len(drawn)}")
    accepted = {r.digest for r in rows if r.accepted}
    if any(r.accepted and not r.signature_ok for r in rows):
        result.findings.append("the webhook log shows an accepted delivery with a bad signature")
    started: set[str] = set()
    for case in drawn:
        if case.signed_ok and case.kind == "event":
            if hashlib.sha256(case.body).hexdigest() not in accepted:
                result.findings.append(f"signed valid event missing from the log: {case}")
            started.add(str(json.loads(case.body)["id"]))
    for rid in sorted(started):
        try:
            await client.get_workflow_handle(workflow_id(rid)).describe(
                rpc_timeout=timedelta(seconds=10)
            )
        except Exception as err:
            result.findings.append(f"no workflow for signed event of return {rid}: {err}")
    return result
