"""The deploy, observability and versioning pages name only things that exist in the code."""

from __future__ import annotations

import re
from pathlib import Path

from workers.metrics import REGISTRY
from workers.settings import Settings

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"


def test_settings_named_in_the_docs_exist() -> None:
    fields = {f"RETURNFLOW_{name.upper()}" for name in Settings.model_fields}
    for page in ("deploy.md", "observability.md"):
        named = set(re.findall(r"RETURNFLOW_[A-Z0-9_]*[A-Z0-9]", (DOCS / page).read_text()))
        assert named and not named - fields, (page, sorted(named - fields))


def test_metrics_named_in_the_docs_are_registered() -> None:
    registered = {m.name + ("_total" if m.type == "counter" else "") for m in REGISTRY.collect()}
    # and the series a query names: a histogram's _bucket, _count and _sum
    registered |= {
        m.name + suffix
        for m in REGISTRY.collect()
        if m.type == "histogram"
        for suffix in ("_bucket", "_count", "_sum")
    }
    named = set(re.findall(r"returnflow_[a-z_]+", (DOCS / "observability.md").read_text()))
    assert named and not named - registered, sorted(named - registered)


def test_the_patch_example_is_in_the_workflow_code() -> None:
    text = (DOCS / "versioning.md").read_text()
    code = "".join(p.read_text() for p in (ROOT / "workflows").glob("*.py"))
    patches = set(re.findall(r'(?:patched|deprecate_patch)\("([a-z0-9-]+)"\)', code))
    named = set(re.findall(r'workflow\.(?:patched|deprecate_patch)\("([a-z0-9-]+)"\)', text))
    assert named and not named - patches, sorted(named - patches)
