"""The webhook receiver: verify, parse, hand over durably, then answer.

2xx means the event is durable: in Temporal (signal-with-start on `return-<id>`, the default),
or with RETURNFLOW_INGRESS_ACK=store in the store, from where the forwarder hands it to Temporal
(workers/ingress_forwarder.py: a task in this process, or `returnflow forwarder` processes with
RETURNFLOW_INGRESS_FORWARDER=separate). A bad signature is refused with 401, a malformed body with
400/422, and every delivery, refused or not, is written to the webhook log so nothing that
reached us is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from adapters.loop.payload import PayloadError, parse_webhook
from adapters.loop.signature import verify_any
from adapters.store import Store
from adapters.store.webhook_outbox import WebhookOutbox
from workers.ingress_forwarder import Forwarder
from workers.metrics import observe_ingress
from workers.settings import Settings
from workers.webhook_log_writer import WebhookLogWriter
from workflows.model import LoopEvent, ReturnConfig, ReturnStart
from workflows.returns import ReturnWorkflow

log = logging.getLogger("returnflow.ingress")

SIGNATURE_HEADER = "X-Loop-Signature"
FORWARDER_STOP_S = 5.0  # on shutdown, let hand-overs in flight finish this long


def workflow_id(return_id: str) -> str:
    return f"return-{return_id}"


async def deliver(
    client: Client, settings: Settings, event: LoopEvent, config: ReturnConfig | None = None
) -> WorkflowHandle[Any, Any]:
    """Signal-with-start: the first event starts the return, later ones join it.

    A finished return is never started again by a late duplicate (REJECT_DUPLICATE).
    """
    return await client.start_workflow(
        ReturnWorkflow.run,
        ReturnStart(return_id=event.return_id, config=config or settings.return_config()),
        id=workflow_id(event.return_id),
        task_queue=settings.task_queue,
        start_signal="loop_event",
        start_signal_args=[event],
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


def create_ingress(settings: Settings, client: Client, store: Store | None = None) -> FastAPI:
    outbox: WebhookOutbox | None = None
    forwarder: Forwarder | None = None  # None when `returnflow forwarder` processes forward
    writer = WebhookLogWriter(store) if store is not None else None
    if settings.ingress_ack == "store":
        if store is None:
            raise ValueError("RETURNFLOW_INGRESS_ACK=store needs the store (RETURNFLOW_STORE_URL)")
        outbox = WebhookOutbox(store)
        if settings.ingress_forwarder == "inline":
            forwarder = Forwarder(settings, client, store)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(forwarder.run()) if forwarder else None
        yield
        if forwarder is not None and task is not None:
            forwarder.stop()  # what is still waiting stays in the store for the next start
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, FORWARDER_STOP_S)
        if writer is not None:
            writer.close()

    app = FastAPI(title="returnflow ingress", docs_url=None, redoc_url=None, lifespan=lifespan)
    secrets = settings.webhook_secrets()

    async def log_delivery(**row: Any) -> None:
        if writer is None:
            return
        try:
            await writer.record(**row)
        except Exception:  # the log must never turn an accepted event into a refusal
            log.exception("could not write the webhook log")

    def answer(status: int, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse(body, status_code=status)

    @app.post("/webhooks/loop")
    async def loop_webhook(request: Request) -> JSONResponse:
        raw = await request.body()
        received_at = datetime.now(UTC)
        row: dict[str, Any] = {"id": uuid.uuid4().hex, "received_at": received_at, "body": raw}
        if not secrets or not verify_any(raw, request.headers.get(SIGNATURE_HEADER), secrets):
            await log_delivery(
                **row,
                signature_ok=False,
                accepted=False,
                status_code=401,
                error="missing or invalid X-Loop-Signature",
            )
            return answer(401, {"error": "invalid signature"})
        try:
            event = parse_webhook(raw, received_at)
        except PayloadError as err:
            status = 400 if err.not_json else 422
            await log_delivery(
                **row, signature_ok=True, accepted=False, status_code=status, error=str(err)
            )
            return answer(status, {"error": str(err)})
        meta = {
            "topic": event.topic,
            "trigger": event.trigger,
            "return_id": event.return_id,
            "digest": event.digest,
            "signature_ok": True,
        }
        if outbox is not None:
            return await acknowledge_from_store(row, meta, event)
        try:
            await deliver(client, settings, event)
        except WorkflowAlreadyStartedError:
            await log_delivery(
                **row,
                **meta,
                accepted=True,
                status_code=200,
                error="return already finished; event recorded only",
            )
            return answer(
                200,
                {
                    "ok": True,
                    "workflow_id": workflow_id(event.return_id),
                    "note": "return already finished",
                },
            )
        except RPCError as err:
            log.warning("Temporal refused or is unreachable: %s", err)
            await log_delivery(**row, **meta, accepted=False, status_code=503, error=str(err))
            return answer(503, {"error": "temporarily unavailable, retry"})
        await log_delivery(**row, **meta, accepted=True, status_code=202, error=None)
        return answer(202, {"ok": True, "workflow_id": workflow_id(event.return_id)})

    async def acknowledge_from_store(
        row: dict[str, Any], meta: dict[str, Any], event: LoopEvent
    ) -> JSONResponse:
        assert writer is not None
        try:
            await writer.record(
                **row,
                **meta,
                accepted=True,
                status_code=202,
                error=None,
                event=event.model_dump(mode="json"),
            )
        except Exception:  # not durable anywhere: Loop must send it again
            log.exception("could not queue the webhook in the store")
            return answer(503, {"error": "temporarily unavailable, retry"})
        if forwarder is not None:
            forwarder.wake()
        return answer(
            202, {"ok": True, "workflow_id": workflow_id(event.return_id), "queued": True}
        )

    # store-acked, Temporal's state is only reported: answer well inside a 1 s probe timeout
    health_timeout = 3.0 if outbox is None else 0.5

    async def temporal_problem() -> str | None:
        try:
            await asyncio.wait_for(client.service_client.check_health(), timeout=health_timeout)
        except Exception as err:
            return str(err) or type(err).__name__
        return None

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """Ready when a webhook would be made durable: Temporal answers (ack=temporal), or the
        store answers (ack=store; Temporal's state is reported, the backlog waits for it)."""
        problem = await temporal_problem()
        if outbox is None:
            if problem is not None:
                return answer(503, {"ok": False, "temporal": problem})
            return answer(200, {"ok": True})
        try:
            waiting, oldest = await asyncio.to_thread(outbox.backlog)
        except Exception as err:
            log.exception("healthz: the store cannot be read")
            return answer(503, {"ok": False, "store": str(err)[:300]})
        return answer(
            200,
            {
                "ok": True,
                "temporal": problem or "ok",
                "forward_backlog": waiting,
                "oldest_waiting": oldest.isoformat() if oldest else None,
            },
        )

    observe_ingress(app)  # traces, webhook counters, /metrics, /livez
    return app
