"""The feature server: online feature values (``get_online_features``)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import cast

from ._http import JsonHttp
from .errors import NotAuthenticated
from .types import EntityFeatures, EntityName


class FeatureServerClient:
    """Reads online features from the feature server (``FSTORE_SERVING_URL``, e.g. nginx on
    http://127.0.0.1:8000) with a user's access token.

    Either give ``access_token`` (and ``refresh_token``) or call :meth:`login`. After a login the
    client renews its token with the refresh token once when an answer is 401.

    >>> client = FeatureServerClient("http://127.0.0.1:8000")
    >>> client.login("me@example.com", "a-long-password-of-yours")
    >>> client.get_online_features("product", ["fa954a98"], ["avg_review"])
    """

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        timeout: float = 10.0,
        retries: int = 2,
    ) -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self._http = JsonHttp(
            base_url,
            timeout=timeout,
            retries=retries,
            authorization=lambda: f"Bearer {self.access_token}" if self.access_token else None,
        )

    def login(self, email: str, password: str) -> None:
        """Logs in (never retried unless the connection was refused: a failed login counts)."""
        self._take(
            self._http.request(
                "POST", "/api/auth/login", body={"email": email, "password": password}
            )
        )

    def refresh(self) -> None:
        """A new token pair from the refresh token (each refresh token works once)."""
        if not self.refresh_token:
            raise ValueError("no refresh token: log in first")
        self._take(
            self._http.request(
                "POST", "/api/auth/refresh", body={"refresh_token": self.refresh_token}
            )
        )

    def logout(self) -> None:
        """Ends the session: its access and refresh tokens stop working."""
        self._http.request("POST", "/api/auth/logout")
        self.access_token = self.refresh_token = None

    def get_online_features(
        self, entity: EntityName, ids: Sequence[str], names: Sequence[str] | None = None
    ) -> list[EntityFeatures]:
        """The features ``names`` (default: every feature of the entity) of each id, in order.

        One request (``POST /v1/features/batch``; a read, so it is retried on transient
        failures). A value the entity does not have is ``None``; composite ids are
        ``customer_id:product_id``. Raises InvalidRequest (400, 413) naming the field.
        """
        body: dict[str, object] = {"entity": entity, "ids": list(ids)}
        if names is not None:
            body["features"] = list(names)
        answer = self._authenticated(
            lambda: self._http.request("POST", "/v1/features/batch", body=body, idempotent=True)
        )
        return cast(list[EntityFeatures], answer["results"])

    def get_features(
        self, entity: EntityName, id: str, names: Sequence[str] | None = None
    ) -> EntityFeatures:
        """One entity's features; NotFound (error_code 2000) when it has no value at all."""
        path = (
            f"/v1/features/{urllib.parse.quote(entity, safe='')}/{urllib.parse.quote(id, safe='')}"
        )
        query = {"names": ",".join(names)} if names is not None else None
        return cast(
            EntityFeatures,
            self._authenticated(lambda: self._http.request("GET", path, query=query)),
        )

    def _take(self, tokens: dict[str, object]) -> None:
        self.access_token = str(tokens["access_token"])
        self.refresh_token = str(tokens["refresh_token"])

    def _authenticated(self, call):  # type: ignore[no-untyped-def]
        try:
            return call()
        except NotAuthenticated:
            if not self.refresh_token:
                raise
            self.refresh()
            return call()
