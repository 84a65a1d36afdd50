"""One machine's network path to the API server, which a partition cuts while the machine keeps running."""

from __future__ import annotations

from ..api import errors
from ..api.server import APIServer


def _cut_off(node: str) -> errors.ApiError:
    """What a request from a partitioned node gets: no answer before client-go's timeout."""
    return errors.ApiError(504, "Timeout", f"node {node} cannot reach the API server: dial tcp: i/o timeout")


class ApiLink:
    """The API server as a machine's kubelet reaches it. While `partitioned`, every write fails and watch
    events are lost, as they would be behind a broken network; reads are answered as from the kubelet's
    informer caches. The kubelet relists when the partition heals. Anything else passes straight through."""

    def __init__(self, api: APIServer, node: str):
        self._api = api
        self._node = node
        self.partitioned = False

    def __getattr__(self, name: str):
        return getattr(self._api, name)

    def _check(self) -> None:
        if self.partitioned:
            raise _cut_off(self._node)

    def create(self, *args, **kwargs) -> dict:
        self._check()
        return self._api.create(*args, **kwargs)

    def update(self, *args, **kwargs) -> dict:
        self._check()
        return self._api.update(*args, **kwargs)

    def update_status(self, *args, **kwargs) -> dict:
        self._check()
        return self._api.update_status(*args, **kwargs)

    def patch(self, *args, **kwargs) -> dict:
        self._check()
        return self._api.patch(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check()
        return self._api.delete(*args, **kwargs)

    def watch(self, resource: str, callback, *args, **kwargs):
        def deliver(type_: str, obj: dict, old: dict | None) -> None:
            if not self.partitioned:
                callback(type_, obj, old)
        return self._api.watch(resource, deliver, *args, **kwargs)
