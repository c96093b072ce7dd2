"""Observability of one real return: a single linked trace from the Loop webhook to the NetSuite
document, our Prometheus counters, and logs that never carry a configured secret.

The stack is the production wiring (`connect`, `build_worker`, `build_erp_worker`,
`create_ingress`) with tracing on through an in-memory exporter, its own Loop sandbox aimed at
its own ingress, ERP activities on their own task queue, and NetSuite reached with OAuth 2.0
client credentials (a certificate registered with the session's NetSuite sandbox).
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from adapters.sandbox.catalog import demo_catalog, with_copies
from adapters.sandbox.loop import LoopSandboxControl, create_loop_sandbox
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.certificates import key_pair
from tests.drills.processes import free_port
from tests.harness import COPIES, LOOP_KEY, NS, WEBHOOK_SECRET, LoopDriver, settings_for
from workers import ops
from workers.ingress import create_ingress, workflow_id
from workers.logs import JsonFormatter, quiet_credential_loggers
from workers.metrics import ops_app, serving
from workers.settings import Settings
from workers.telemetry import setup_tracing, shutdown_tracing
from workers.temporal import connect
from workers.wiring import Adapters
from workers.worker import build_erp_worker, build_worker, erp_slots

OAUTH2_CLIENT_ID = "observed-oauth2-client"
OAUTH2 = key_pair("ec")
# every configured secret, and the private key's PEM body line by line
SECRETS = [
    LOOP_KEY,
    WEBHOOK_SECRET,
    *NS.values(),
    OAUTH2_CLIENT_ID,
    *(line for line in OAUTH2.private_pem.splitlines() if "-----" not in line),
]


@dataclass
class Stack:
    client: Client
    settings: Settings
    spans: InMemorySpanExporter
    logs: io.StringIO
    loop_url: str
    ingress_url: str
    worker_url: str


@pytest.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment, sandboxes: tuple[ServedApp, ServedApp], store_url: str
) -> AsyncIterator[Stack]:
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # the most a production log level could print
    quiet_credential_loggers()  # as configure_logging does in `returnflow worker`

    loop_app = create_loop_sandbox(
        with_copies(demo_catalog(), COPIES),
        LOOP_KEY,
        WEBHOOK_SECRET,
        retry_delays=(0.01, 0.01, 0.01),
        delivery_timeout=5.0,
    )
    exporter = InMemorySpanExporter()
    with ServedApp(loop_app, name="loop-observed") as loop:
        settings = settings_for(
            loop.url,
            sandboxes[1].url,
            store_url,
            temporal_address=dev_env.client.service_client.config.target_host,
            task_queue="returnflow-observed",
            erp_task_queue="returnflow-observed-erp",
            netsuite_auth="oauth2",  # M2M, as a new integration from 2027.1 must be
            netsuite_client_id=SecretStr(OAUTH2_CLIENT_ID),
            netsuite_certificate_id="observed-cert",
            netsuite_private_key=SecretStr(OAUTH2.private_pem),
            netsuite_jwt_algorithm="ES256",
        )
        async with NetSuiteSandboxControl(sandboxes[1].url) as netsuite:
            await netsuite.register_certificate(
                client_id=OAUTH2_CLIENT_ID,
                certificate_id="observed-cert",
                public_key_pem=OAUTH2.certificate_pem,
            )
        assert setup_tracing(settings, exporter)
        client = await connect(settings)
        adapters = Adapters.from_settings(settings)
        slots = await erp_slots(settings, adapters.erp)
        workers = [
            build_worker(client, settings, adapters),
            build_erp_worker(client, settings, adapters, slots),
        ]
        worker_port = free_port()

        async def ready() -> bool:
            return all(w.is_running for w in workers)

        try:
            async with workers[0], workers[1]:
                async with serving(ops_app(ready), "127.0.0.1", worker_port):
                    ingress = create_ingress(settings, client, adapters.store)
                    with ServedApp(ingress, name="ingress-observed") as served:
                        async with LoopSandboxControl(loop.url) as control:
                            await control.webhook_target(f"{served.url}/webhooks/loop")
                        yield Stack(
                            client,
                            settings,
                            exporter,
                            logs,
                            loop.url,
                            served.url,
                            f"http://127.0.0.1:{worker_port}",
                        )
        finally:
            await adapters.aclose()
            shutdown_tracing()
            root.removeHandler(handler)
            root.setLevel(old_level)


def _url(span: ReadableSpan) -> str:
    """The client span's URL under either semantic-convention version."""
    attributes = span.attributes or {}
    return str(attributes.get("url.full") or attributes.get("http.url") or "")


def _chain(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    """Span names from `span` up to its root."""
    names = [span.name]
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_one_trace_from_webhook_to_erp_document(stack: Stack) -> None:
    async with LoopDriver(stack.loop_url) as driver:
        loop_return = await driver.create("#1001", outcome="refund")
    rid = loop_return["id"]
    await ops.wait_for_state(stack.client, rid, {"authorized"}, timeout=30)

    spans = stack.spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}
    ra_calls = [s for s in spans if _url(s).endswith("!transform/returnAuthorization?replace=item")]
    assert ra_calls, f"no NetSuite RA span among {[(s.name, s.attributes) for s in spans]}"
    chain = _chain(ra_calls[0], by_id)
    assert chain == [
        "POST",  # our httpx call to NetSuite
        "RunActivity:erp.create_return_authorization",
        "StartActivity:erp.create_return_authorization",
        "SignalWithStartWorkflow:ReturnWorkflow",  # the ingress handing the event to Temporal
        "POST /webhooks/loop",  # the ingress's server span
        "POST",  # the Loop sandbox delivering the webhook: where the trace starts
    ]
    trace_id = ra_calls[0].context.trace_id
    run = [s for s in spans if s.name == "RunWorkflow:ReturnWorkflow" and _workflow(s) == rid]
    assert run and all(s.context.trace_id == trace_id for s in run)


def _workflow(span: ReadableSpan) -> str:
    return str((span.attributes or {}).get("temporalWorkflowID", "")).removeprefix("return-")


async def test_erp_activities_run_on_their_own_queue(stack: Stack) -> None:
    async with LoopDriver(stack.loop_url) as driver:
        rid = (await driver.create("#1002", outcome="refund"))["id"]
    await ops.wait_for_state(stack.client, rid, {"authorized"}, timeout=30)
    history = await stack.client.get_workflow_handle(workflow_id(rid)).fetch_history()
    queues = {
        e.activity_task_scheduled_event_attributes.activity_type.name: (
            e.activity_task_scheduled_event_attributes.task_queue.name
        )
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    erp = {name: q for name, q in queues.items() if name.startswith("erp.")}
    assert erp and set(erp.values()) == {"returnflow-observed-erp"}
    assert {q for name, q in queues.items() if not name.startswith("erp.")} <= {
        "returnflow-observed"
    }


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one Prometheus sample (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_full_return_counts_metrics_and_logs_no_secret(stack: Stack) -> None:
    async with httpx.AsyncClient() as http:
        before_ingress = (await http.get(stack.ingress_url + "/metrics")).text
        before_worker = (await http.get(stack.worker_url + "/metrics")).text
        refused = await http.post(stack.ingress_url + "/webhooks/loop", content=b"{}")
        assert refused.status_code == 401

        async with LoopDriver(stack.loop_url) as driver:
            rid = (await driver.create("#1003", outcome="refund"))["id"]
        await ops.wait_for_state(stack.client, rid, {"authorized"}, timeout=30)
        await ops.receive(stack.client, rid, "dock@warehouse.example")
        await ops.inspect(stack.client, rid, "qa@warehouse.example")
        status = await ops.wait_for_state(stack.client, rid, {"awaiting_approval", "closed"})
        if status.state == "awaiting_approval":
            await ops.approve(stack.client, rid, "controller@finance.example", "checked")
        await ops.wait_for_state(stack.client, rid, {"closed"})

        async with LoopDriver(stack.loop_url) as driver:
            lost = (await driver.create("#4801", skus=["TEE-BLK-L"], unknown_order=True))["id"]
        await ops.wait_for_state(stack.client, lost, set(), timeout=30, blocked_ok=True)
        opened = "returnflow_exceptions_opened_total"
        labels = {"kind": "order_not_found", "owner": "ops"}
        for _ in range(100):  # the audit row that counts it follows the blocked flag closely
            after_worker = (await http.get(stack.worker_url + "/metrics")).text
            if _sample(after_worker, opened, **labels) > _sample(before_worker, opened, **labels):
                break
            await asyncio.sleep(0.05)

        after_ingress = (await http.get(stack.ingress_url + "/metrics")).text
        ready = await http.get(stack.worker_url + "/readyz")
        live = await http.get(stack.ingress_url + "/livez")

    def delta(before: str, after: str, name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    webhooks = "returnflow_webhooks_total"
    assert delta(before_ingress, after_ingress, webhooks, outcome="refused", status="401") == 1
    assert delta(before_ingress, after_ingress, webhooks, outcome="accepted") >= 1
    acks = "returnflow_webhook_ack_seconds_count"
    assert delta(before_ingress, after_ingress, acks, outcome="refused") == 1  # timed as well
    assert delta(before_ingress, after_ingress, acks, outcome="accepted") >= 1
    assert delta(before_worker, after_worker, "returnflow_refunds_total", path="erp") == 1
    assert delta(before_worker, after_worker, opened, **labels) == 1
    assert (ready.status_code, live.status_code) == (200, 200)

    # OAuth 2.0 M2M: one token request (traced like every call) served the whole module's calls
    spans = stack.spans.get_finished_spans()
    token = [s for s in spans if _url(s).endswith("/services/rest/auth/oauth2/v1/token")]
    netsuite_calls = [s for s in spans if "/services/rest/" in _url(s)]
    assert len(token) == 1 and len(netsuite_calls) > 10

    captured = stack.logs.getvalue()
    assert rid in captured  # the capture did see this return's logs
    leaked = [line for line in captured.splitlines() if any(s in line for s in SECRETS)]
    assert leaked == [], f"secrets in logs: {leaked}"
