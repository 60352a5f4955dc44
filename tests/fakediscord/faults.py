"""Fault injection: make the next matching REST calls fail or stall.

Reliability tests need Discord's bad days on demand: a 429 must carry the ``Via`` header and
a JSON ``retry_after`` or discord.py treats it as a Cloudflare ban and raises instead of
retrying; a 5xx is retried by discord.py after 1 + 2·try seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass
class FaultRule:
    """One armed fault; ``times`` counts down on every request it hits."""

    method: str
    pattern: re.Pattern[str]
    times: int
    status: int | None = None
    retry_after: float = 0.1
    delay: float = 0.0
    is_global: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method in (method, "*") and bool(self.pattern.search(path))


@dataclass(frozen=True)
class Fault:
    """What to do to one request: wait ``delay`` seconds, then answer ``status`` if set."""

    delay: float
    status: int | None
    body: dict[str, Any] | None
    headers: dict[str, str]


class FaultInjector:
    """Holds armed rules; the REST middleware asks it about every request."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.fired: list[tuple[str, str, int | None, float]] = []

    def add(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def clear(self) -> None:
        self.rules.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Consumes the first matching delay rule and the first matching failure rule."""
        delay_rule = self._consume(method, path, failing=False)
        fail_rule = self._consume(method, path, failing=True)
        if delay_rule is None and fail_rule is None:
            return None
        delay = delay_rule.delay if delay_rule else 0.0
        status = fail_rule.status if fail_rule else None
        self.fired.append((method, path, status, delay))
        body, headers = _error_response(fail_rule) if fail_rule else (None, {})
        return Fault(delay=delay, status=status, body=body, headers=headers)

    def _consume(self, method: str, path: str, *, failing: bool) -> FaultRule | None:
        for rule in self.rules:
            if (rule.status is not None) == failing and rule.matches(method, path):
                rule.times -= 1
                return rule
        return None


def _error_response(rule: FaultRule) -> tuple[dict[str, Any], dict[str, str]]:
    if rule.status == 429:
        body = {
            "message": "You are being rate limited.",
            "retry_after": rule.retry_after,
            "global": rule.is_global,
        }
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(rule.retry_after))),
            "X-RateLimit-Scope": "global" if rule.is_global else "user",
        }
        return body, headers
    return {"message": f"{rule.status}: injected failure", "code": 0}, {}
