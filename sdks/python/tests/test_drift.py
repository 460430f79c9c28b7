"""The client against the server's OpenAPI document (``docs/openapi.json``, which
the Rust suite keeps equal to what the server serves): every operation has one
method, every answer shape and request body has the same fields."""

import inspect
import json
from typing import Any, Dict, Set

from conftest import REPO

from hookwire import models, resources
from hookwire.client import Hookwire

DOC = json.loads((REPO / "docs" / "openapi.json").read_text())
SCHEMAS = DOC["components"]["schemas"]


def api_operations() -> Set[str]:
    return {
        op["operationId"]
        for path, item in DOC["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def fields(name: str) -> Dict[str, bool]:
    """A schema's properties and whether each is required (allOf merged)."""
    schema = SCHEMAS[name]
    parts = schema.get("allOf", [schema])
    out: Dict[str, bool] = {}
    for part in parts:
        if "$ref" in part:
            out.update(fields(part["$ref"].rsplit("/", 1)[1]))
            continue
        required = set(part.get("required", []))
        for key in part.get("properties", {}):
            out[key] = key in required
    return out


def parameters(method: Any) -> Set[str]:
    return {
        name
        for name, p in inspect.signature(method).parameters.items()
        if name != "self" and p.kind is inspect.Parameter.KEYWORD_ONLY or name in {"url", "events", "type", "data"}
    }


def test_every_operation_of_the_document_has_exactly_one_method() -> None:
    implemented = resources.operations()
    assert sorted(implemented) == sorted(set(implemented)), "an operation is implemented twice"
    assert set(implemented) == api_operations()


def test_every_answer_shape_has_the_documented_fields() -> None:
    for schema, typed in models.SCHEMAS.items():
        declared = {key: key in typed.__required_keys__ for key in typed.__annotations__}
        assert declared == fields(schema), schema


def test_request_arguments_match_the_request_schemas() -> None:
    assert parameters(resources.Webhooks.create) == set(fields("WebhookDraft"))
    assert parameters(resources.Webhooks.replace) == set(fields("WebhookDraft"))
    assert parameters(resources.OperationalWebhooks.create) == set(fields("WebhookDraft"))
    assert parameters(resources.Webhooks.update) == set(fields("WebhookPatch"))
    assert parameters(resources.Keys.create) == set(fields("KeyDraft"))
    assert parameters(resources.Tenants.create_key) == set(fields("KeyDraft"))
    assert parameters(resources.PortalSessions.create) == set(fields("PortalDraft"))
    assert parameters(resources.Tenants.create_portal_session) == set(fields("PortalDraft"))
    # The event's `id` field is sent as the Idempotency-Key header instead.
    assert parameters(resources.Events.publish) | {"id"} == set(fields("NewEvent")) | {"idempotency_key"}
    assert parameters(resources.Deliveries.retry_many) | {"since"} == set(fields("BulkRetry"))
    assert set(inspect.signature(Hookwire.publish).parameters) - {"self"} == set(
        inspect.signature(resources.Events.publish).parameters
    ) - {"self"}


def test_the_version_follows_the_servers() -> None:
    import re

    import hookwire

    cargo = (REPO / "Cargo.toml").read_text()
    server = re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)
    pyproject = (REPO / "sdks" / "python" / "pyproject.toml").read_text()
    assert hookwire.__version__ == server
    assert f'version = "{server}"' in pyproject
    assert f"hookwire-python/{server}" in Hookwire("http://127.0.0.1:1", "k")._transport.policy.headers["User-Agent"]


def test_the_async_types_are_what_the_script_makes_of_the_resources() -> None:
    import importlib.util

    script = REPO / "sdks" / "python" / "scripts" / "async_types.py"
    spec = importlib.util.spec_from_file_location("async_types", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (REPO / "sdks" / "python" / "src" / "hookwire" / "_async_types.py").read_text()
    assert committed == module.render(), "run python3 sdks/python/scripts/async_types.py"
