"""What every simulated component is given: the API server, the clock, shared informers, randomness, timings."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .api.server import APIServer
from .clock import Clock
from .informer import InformerFactory
from .profiles import Profile


@dataclass
class Context:
    api: APIServer
    clock: Clock
    informers: InformerFactory
    rng: random.Random
    profile: Profile
    metrics: object = None  # the MetricsServer, once the cluster has one
    keys: object = None  # tokens.ClusterKeys: the CA and service-account signing key, once bootstrapped
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (component, key, message), newest last
    gates: dict = field(default_factory=dict)  # leader-elected component name → leaderelection.Gate

    def gate(self, component: str):
        """The run gate of a leader-elected component (kube-controller-manager, kube-scheduler, ...)."""
        from .leaderelection import Gate  # leaderelection builds on Context
        gate = self.gates.get(component)
        if gate is None:
            gate = self.gates[component] = Gate(component)
        return gate

    def record_error(self, component: str, key: str, exc: Exception) -> None:
        self.errors.append((component, key, str(exc)))
        del self.errors[:-100]
