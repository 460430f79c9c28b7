"""Write ``src/hookwire/_async_types.py``: the async client's resources as a type
checker sees them, made from the sync resources in ``resources.py``.

Both clients share one implementation per operation (``resources.py``); only the
types differ: on ``AsyncHookwire`` a call returns an awaitable and a list an async
iterator. Python's type system cannot say that generically, so this script writes
the async signatures out; a test fails when the file is not what the script makes.

    python3 sdks/python/scripts/async_types.py
"""

import inspect
import sys
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SDK / "src"))

from hookwire import resources  # noqa: E402

HEADER = '''"""The async client's resources as a type checker sees them (written by
``scripts/async_types.py`` from ``resources.py``; do not edit by hand).

At run time ``AsyncHookwire`` uses the classes of ``resources.py``; these
protocols only give its calls their awaitable and async-iterator types.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, List, Mapping, Optional, Protocol, Sequence

from .models import (
    AuditEntry,
    CreatedKey,
    CreatedTenant,
    Delivery,
    DeliveryDetail,
    Event,
    EventDetail,
    EventType,
    Key,
    NewSecret,
    PortalLink,
    Published,
    Replayed,
    Requeued,
    Tenant,
    TenantStats,
    TestResult,
    Webhook,
    WebhookStats,
)
from .resources import UNSET, Time
'''


def parameters(method) -> str:
    out = []
    star = False
    for p in inspect.signature(method).parameters.values():
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        text = p.name if p.annotation is p.empty else f"{p.name}: {p.annotation}"
        if p.default is not p.empty:
            text += f" = {p.default!r}"
        out.append(text)
    return ", ".join(out)


def render() -> str:
    parts = [HEADER]
    for name, resource in resources.RESOURCES.items():
        parts.append(f"\n\nclass Async{resource.__name__}(Protocol):")
        for attr, method in vars(resource).items():
            if not getattr(method, "__operation__", None):
                continue
            returns = inspect.signature(method).return_annotation
            if returns.startswith("Iterator["):
                line = f"    def {attr}({parameters(method)}) -> Async{returns}: ..."
            else:
                line = f"    async def {attr}({parameters(method)}) -> {returns}: ..."
            parts.append(line)
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    (SDK / "src" / "hookwire" / "_async_types.py").write_text(render())
