"""Node IPAM controller: gives every node a pod CIDR out of the cluster CIDR (upstream's range allocator)."""

from __future__ import annotations

import ipaddress

from ..api.errors import ApiError
from .base import Controller

CLUSTER_CIDR = ipaddress.ip_network("10.244.0.0/16")  # --cluster-cidr
NODE_CIDR_MASK = 24                                    # --node-cidr-mask-size-ipv4


class NodeIpamController(Controller):
    name = "nodeipam"
    component = "cidrAllocator"

    def __init__(self, ctx):
        super().__init__(ctx)
        self._subnets = list(CLUSTER_CIDR.subnets(new_prefix=NODE_CIDR_MASK))
        self._index = {str(net): i for i, net in enumerate(self._subnets)}
        self._used: set[int] = set()
        self._next = 0
        self.nodes = self.informers.informer("nodes")
        self.nodes.add_handler(on_add=self._on_add, on_update=self._on_update, on_delete=self._on_delete)

    def _on_add(self, node: dict) -> None:
        cidr = (node.get("spec") or {}).get("podCIDR")
        if cidr in self._index:
            self._used.add(self._index[cidr])
        else:
            self.enqueue(node)

    def _on_update(self, old: dict, node: dict) -> None:
        if not (node.get("spec") or {}).get("podCIDR"):
            self.enqueue(node)

    def _on_delete(self, node: dict) -> None:
        cidr = (node.get("spec") or {}).get("podCIDR")
        if cidr in self._index:
            self._used.discard(self._index[cidr])

    def _allocate(self) -> int | None:
        """cidrset.AllocateNext: the next free subnet, round-robin from the last one handed out."""
        n = len(self._subnets)
        for i in range(n):
            candidate = (self._next + i) % n
            if candidate not in self._used:
                self._used.add(candidate)
                self._next = (candidate + 1) % n
                return candidate
        return None

    def sync(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None or (node.get("spec") or {}).get("podCIDR"):
            return
        index = self._allocate()
        if index is None:
            self.recorder.normal(node, "CIDRNotAvailable", f"Node {key} status is now: CIDRNotAvailable")
            return
        cidr = str(self._subnets[index])
        try:
            self.api.update("nodes", {**node, "spec": {**node.get("spec", {}), "podCIDR": cidr, "podCIDRs": [cidr]}},
                            field_validation="Ignore")
        except ApiError as exc:
            self._used.discard(index)
            if exc.code != 404:
                raise
