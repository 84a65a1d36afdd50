"""Node IPAM controller: gives every node a pod CIDR out of the cluster CIDR (upstream's range allocator)."""

from __future__ import annotations

import ipaddress

from ..api.errors import ApiError
from .base import Controller

# --cluster-cidr: kind's 10.244.0.0/16 widened to a /14, so that the first 256 nodes get kind's familiar
# 10.244.N.0/24 and a cluster can still grow to 1,024 nodes.
CLUSTER_CIDR = ipaddress.ip_network("10.244.0.0/14")
NODE_CIDR_MASK = 24  # --node-cidr-mask-size-ipv4


class NodeIpamController(Controller):
    name = "nodeipam"
    component = "cidrAllocator"

    def __init__(self, ctx):
        super().__init__(ctx)
        self._size = 1 << (NODE_CIDR_MASK - CLUSTER_CIDR.prefixlen)
        self._used: set[int] = set()
        self._next = 0
        self.nodes = self.informers.informer("nodes")
        self.nodes.add_handler(on_add=self._on_add, on_update=self._on_update, on_delete=self._on_delete)

    def _subnet(self, index: int) -> str:
        base = int(CLUSTER_CIDR.network_address) + (index << (32 - NODE_CIDR_MASK))
        return f"{ipaddress.ip_address(base)}/{NODE_CIDR_MASK}"

    def _index_of(self, cidr: str | None) -> int | None:
        """The subnet index of a pod CIDR this controller could have handed out, else None."""
        try:
            net = ipaddress.ip_network(cidr or "")
        except ValueError:
            return None
        if net.prefixlen != NODE_CIDR_MASK or not net.subnet_of(CLUSTER_CIDR):
            return None
        return (int(net.network_address) - int(CLUSTER_CIDR.network_address)) >> (32 - NODE_CIDR_MASK)

    def _on_add(self, node: dict) -> None:
        index = self._index_of((node.get("spec") or {}).get("podCIDR"))
        if index is not None:
            self._used.add(index)
        elif not (node.get("spec") or {}).get("podCIDR"):
            self.enqueue(node)

    def _on_update(self, old: dict, node: dict) -> None:
        if not (node.get("spec") or {}).get("podCIDR"):
            self.enqueue(node)

    def _on_delete(self, node: dict) -> None:
        index = self._index_of((node.get("spec") or {}).get("podCIDR"))
        if index is not None:
            self._used.discard(index)

    def _allocate(self) -> int | None:
        """cidrset.AllocateNext: the next free subnet, round-robin from the last one handed out."""
        n = self._size
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
        cidr = self._subnet(index)
        try:
            self.api.update("nodes", {**node, "spec": {**node.get("spec", {}), "podCIDR": cidr, "podCIDRs": [cidr]}},
                            field_validation="Ignore")
        except ApiError as exc:
            self._used.discard(index)
            if exc.code != 404:
                raise
