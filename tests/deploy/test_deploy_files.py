"""The deploy files parse, follow their schemas, and point at things that exist in the code.

No container engine or cluster runs here, so these are the checks that can run: the Compose
file against the Compose Specification schema (vendored by check-jsonschema), the Kubernetes
manifests against the Kubernetes OpenAPI schemas (kubernetes-validate, offline), the systemd
units through `systemd-analyze verify` where it exists, and cross-checks with the code: every
RETURNFLOW_* name is a Settings field, every probe path is a route the process serves, shutdown
grace periods outlast the worker's graceful shutdown.
"""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from workers.ingress import create_ingress
from workers.metrics import ops_app
from workers.settings import Settings

DEPLOY = Path(__file__).parents[2] / "deploy"
K8S = DEPLOY / "k8s"
SETTINGS_FIELDS = {f"RETURNFLOW_{name.upper()}" for name in Settings.model_fields}
K8S_VERSION = "1.31.0"


def _yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _manifests() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [doc for name in kustomization["resources"] for doc in _yaml_docs(K8S / name)]


def _by_kind(kind: str, name: str) -> dict[str, Any]:
    return next(m for m in _manifests() if m["kind"] == kind and m["metadata"]["name"] == name)


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines())
    return {k.strip(): v for k, v in (p for p in pairs if len(p) == 2) if not k.startswith("#")}


def _paths(app: Any) -> set[str]:
    return {getattr(route, "path", "") for route in app.routes}


# --- compose ---------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return compose


def test_compose_follows_the_compose_specification() -> None:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(_compose(), schema)


def test_compose_has_the_production_stack_with_health_checks() -> None:
    services = _compose()["services"]
    assert {
        "temporal-db",
        "temporal",
        "temporal-ui",
        "projection-db",
        "setup",
        "worker",
        "ingress",
    } <= set(services)
    for name, service in services.items():
        if name != "setup":  # a one-shot job: its exit status is its health
            assert "healthcheck" in service, name
    assert "postgres" in services["temporal"]["environment"]["DB"]
    for app in ("worker", "ingress"):
        needs = services[app]["depends_on"]
        assert needs["setup"]["condition"] == "service_completed_successfully"
        assert needs["projection-db"]["condition"] == "service_healthy"
    assert services["worker"]["command"] == ["worker"]
    assert services["ingress"]["command"] == ["ingress"]


def test_compose_health_checks_hit_real_endpoints() -> None:
    services = _compose()["services"]
    env = _env_file(DEPLOY / ".env.example")
    worker_probe = " ".join(services["worker"]["healthcheck"]["test"])
    ingress_probe = " ".join(services["ingress"]["healthcheck"]["test"])
    assert f":{env['RETURNFLOW_METRICS_PORT']}/readyz" in worker_probe
    assert f":{env['RETURNFLOW_INGRESS_PORT']}/healthz" in ingress_probe
    assert "/readyz" in _paths(ops_app(_never_ready))
    assert "/healthz" in _paths(create_ingress(Settings(), client=None))  # type: ignore[arg-type]


def test_worker_stop_grace_outlasts_its_graceful_shutdown() -> None:
    grace = _compose()["services"]["worker"]["stop_grace_period"]
    shutdown = float(_env_file(DEPLOY / ".env.example")["RETURNFLOW_GRACEFUL_SHUTDOWN_SECONDS"])
    assert grace.endswith("s") and float(grace[:-1]) > shutdown


def test_example_env_names_only_real_settings() -> None:
    names = {k for k in _env_file(DEPLOY / ".env.example") if k.startswith("RETURNFLOW_")}
    commented = {
        line.lstrip("# ").split("=", 1)[0]
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if line.startswith("# RETURNFLOW_")
    }
    assert names and not (names | commented) - SETTINGS_FIELDS


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI")
def test_docker_compose_config_when_the_plugin_exists(tmp_path: Path) -> None:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("docker CLI without the compose plugin")
    env = tmp_path / ".env"
    env.write_text((DEPLOY / ".env.example").read_text())
    result = subprocess.run(
        ["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "--env-file", str(env), "config"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- kubernetes ------------------------------------------------------------------------------


def test_manifests_validate_against_the_kubernetes_schemas() -> None:
    for manifest in [*_manifests(), *_yaml_docs(K8S / "secret.example.yaml")]:
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


def test_probes_resources_and_grace() -> None:
    config = _by_kind("ConfigMap", "returnflow-config")["data"]
    worker = _by_kind("Deployment", "returnflow-worker")["spec"]["template"]["spec"]
    ingress = _by_kind("Deployment", "returnflow-ingress")["spec"]["template"]["spec"]
    for pod in (worker, ingress):
        for container in pod["containers"]:
            assert container["resources"]["requests"]["cpu"]
            assert container["resources"]["requests"]["memory"]
            assert container["readinessProbe"]["httpGet"] and container["livenessProbe"]["httpGet"]

    def probe(pod: dict[str, Any], kind: str) -> tuple[str, int]:
        container = pod["containers"][0]
        get = container[kind]["httpGet"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        return get["path"], ports[get["port"]]

    assert probe(worker, "readinessProbe") == ("/readyz", int(config["RETURNFLOW_METRICS_PORT"]))
    assert probe(worker, "livenessProbe") == ("/healthz", int(config["RETURNFLOW_METRICS_PORT"]))
    assert probe(ingress, "readinessProbe") == ("/healthz", int(config["RETURNFLOW_INGRESS_PORT"]))
    assert probe(ingress, "livenessProbe") == ("/livez", int(config["RETURNFLOW_INGRESS_PORT"]))
    assert {"/readyz", "/healthz", "/metrics"} <= _paths(ops_app(_never_ready))
    ingress_paths = _paths(create_ingress(Settings(), client=None))  # type: ignore[arg-type]
    assert {"/healthz", "/livez", "/metrics", "/webhooks/loop"} <= ingress_paths
    assert worker["terminationGracePeriodSeconds"] > float(
        config["RETURNFLOW_GRACEFUL_SHUTDOWN_SECONDS"]
    )


def test_hpa_scales_the_worker_deployment() -> None:
    hpa = _by_kind("HorizontalPodAutoscaler", "returnflow-worker")["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "returnflow-worker",
    }
    assert 1 <= hpa["minReplicas"] < hpa["maxReplicas"]


def test_manifest_environment_is_settings_and_secrets_exist() -> None:
    config = _by_kind("ConfigMap", "returnflow-config")["data"]
    secret = _yaml_docs(K8S / "secret.example.yaml")[0]["stringData"]
    env_names = set(config) | {k for k in secret if k.startswith("RETURNFLOW_")}
    assert not env_names - SETTINGS_FIELDS
    assert not set(config) & set(secret)  # each value has one home
    key_file = config["RETURNFLOW_NETSUITE_PRIVATE_KEY_FILE"]
    worker = _by_kind("Deployment", "returnflow-worker")["spec"]["template"]["spec"]
    mount = next(m for m in worker["containers"][0]["volumeMounts"] if m["name"] == "netsuite-key")
    items = next(v for v in worker["volumes"] if v["name"] == "netsuite-key")["secret"]["items"]
    assert key_file == f"{mount['mountPath']}/{items[0]['path']}"
    assert items[0]["key"] in secret


# --- systemd ---------------------------------------------------------------------------------


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / name)
    return parser


def test_systemd_units_run_the_commands_and_stop_gracefully() -> None:
    worker, ingress = _unit("returnflow-worker.service"), _unit("returnflow-ingress.service")
    forwarder = _unit("returnflow-forwarder.service")
    assert worker["Service"]["ExecStart"].endswith("returnflow worker")
    assert ingress["Service"]["ExecStart"].endswith("returnflow ingress")
    assert forwarder["Service"]["ExecStart"].endswith("returnflow forwarder")
    shutdown = float(_env_file(DEPLOY / ".env.example")["RETURNFLOW_GRACEFUL_SHUTDOWN_SECONDS"])
    assert worker["Service"]["KillSignal"] == "SIGTERM"
    assert float(worker["Service"]["TimeoutStopSec"]) > shutdown
    for unit in (worker, ingress, forwarder):
        assert unit["Service"]["EnvironmentFile"] == "/etc/returnflow/returnflow.env"
        assert unit["Install"]["WantedBy"] == "multi-user.target"


# the ports each service binds: its own app's, and the SDK's metrics (every service has a client)
_PORTS_OF = {
    "worker": ("RETURNFLOW_METRICS_PORT", "RETURNFLOW_TEMPORAL_METRICS_PORT"),
    "ingress": ("RETURNFLOW_INGRESS_PORT", "RETURNFLOW_TEMPORAL_METRICS_PORT"),
    "forwarder": ("RETURNFLOW_METRICS_PORT", "RETURNFLOW_TEMPORAL_METRICS_PORT"),
}


def test_systemd_units_on_one_host_bind_distinct_ports() -> None:
    """The three units share one env file on one host: the /usr/bin/env overrides in ExecStart
    must leave no two services on the same port (a second bind fails the service at start)."""
    shared = _env_file(DEPLOY / ".env.example")
    bound: dict[str, str] = {}
    for service, names in _PORTS_OF.items():
        start = _unit(f"returnflow-{service}.service")["Service"]["ExecStart"].split()
        overrides = dict(w.split("=", 1) for w in start if w.startswith("RETURNFLOW_"))
        for name in names:
            port = overrides.get(name, shared.get(name))
            assert port, (service, name)
            assert port not in bound, f"{service} {name}={port} is {bound.get(port)}'s port"
            bound[port] = f"{service} {name}"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """Verified with the install path swapped for this venv's `returnflow` (which exists)."""
    here = str(Path(sys.executable).parent / "returnflow")
    for unit in (DEPLOY / "systemd").glob("*.service"):
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace("/opt/returnflow/bin/returnflow", here))
        result = subprocess.run(
            ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0 and not result.stderr.strip(), result.stderr


async def _never_ready() -> bool:
    return False
