"""hookwire: publish events, manage webhooks and verify deliveries from Python.

>>> from hookwire import Hookwire
>>> hw = Hookwire("http://127.0.0.1:8080", api_key="hw_…")      # doctest: +SKIP
>>> hw.publish("order.created", {"id": 42})                     # doctest: +SKIP

Modules: ``client`` (the two clients), ``resources`` (every operation, written
once for both), ``_transport`` (retries, errors, pages), ``errors``, ``models``
(answer shapes), ``_async_types`` (the async client's types, generated),
``signature`` (receiver-side verification).
"""

from .client import AsyncHookwire, Hookwire
from .errors import HookwireConnectionError, HookwireError, RateLimit
from .resources import UNSET
from .signature import WebhookVerificationError, sign, verify

__version__ = "0.1.0"

__all__ = [
    "AsyncHookwire",
    "Hookwire",
    "HookwireConnectionError",
    "HookwireError",
    "RateLimit",
    "UNSET",
    "WebhookVerificationError",
    "sign",
    "verify",
]
