"""JSON over HTTP (standard library): a deadline per attempt, retries only of what is safe."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from .errors import ApiUnavailable, api_error

# The request never reached the server: any request may be sent again.
_NOT_SENT = (ConnectionRefusedError, socket.gaierror)
_RETRY_STATUSES = frozenset({502, 503, 504})


class JsonHttp:
    """One API's base URL, deadline and retry policy.

    A request is retried (``retries`` more attempts, waiting ``backoff`` seconds doubling) after a
    refused connection always, and after a timeout, a reset connection or 502/503/504 only when it
    is ``idempotent`` (GET; a read sent as POST; a mutation with an Idempotency-Key), so a request
    that may have been processed is never sent twice.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.2,
        authorization: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._authorization = authorization

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str | int | bool | None] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        safe = method in ("GET", "HEAD") if idempotent is None else idempotent
        params = {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in (query or {}).items()
            if v is not None
        }
        url = self.base_url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = None if body is None else json.dumps(body).encode()
        attempt = 0
        while True:
            request = urllib.request.Request(url, data=data, method=method)
            request.add_header("Accept", "application/json")
            if data is not None:
                request.add_header("Content-Type", "application/json")
            auth = self._authorization()
            if auth:
                request.add_header("Authorization", auth)
            for name, value in (headers or {}).items():
                request.add_header(name, value)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    text = response.read().decode()
                    return json.loads(text) if text else None
            except urllib.error.HTTPError as e:
                text = e.read().decode(errors="replace")
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = None
                error = api_error(e.code, parsed, text, method, path)
                if not (safe and e.code in _RETRY_STATUSES):
                    raise error from None
                transient = str(error)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
                reason = e.reason if isinstance(e, urllib.error.URLError) else e
                not_sent = isinstance(reason, _NOT_SENT)
                transient = (
                    f"no answer in {self.timeout} s"
                    if isinstance(reason, TimeoutError | socket.timeout)
                    else f"{method} {path}: {reason}"
                )
                if not (safe or not_sent):
                    raise ApiUnavailable(
                        f"{self.base_url}: {transient} "
                        "(not retried: the request may have been processed)"
                    ) from None
            if attempt >= self.retries:
                raise ApiUnavailable(
                    f"{self.base_url}: {transient} (gave up after {attempt + 1} attempts)"
                )
            time.sleep(self.backoff * 2**attempt)
            attempt += 1
