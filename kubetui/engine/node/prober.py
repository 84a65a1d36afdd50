"""Probe results of simulated applications: what liveness, readiness and startup probes would see.

Containers run no code, so an application's health follows its pod's behaviour annotations (behaviour.py,
docs/workloads.md): `ready-after` (still starting: connections refused), `fail-readiness-after` (answers 503),
`fail-liveness-after` (hung: answers 500).
A probe to a port the container does not declare is refused, as a real app would not be listening there.
"""

from __future__ import annotations

from .behaviour import after

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")
LABELS = {"startupProbe": "Startup", "livenessProbe": "Liveness", "readinessProbe": "Readiness"}


def settings(probe: dict) -> tuple[float, float, int, int]:
    """initialDelaySeconds, periodSeconds, successThreshold, failureThreshold with upstream's defaults."""
    return (float(probe.get("initialDelaySeconds") or 0), float(probe.get("periodSeconds") or 10),
            int(probe.get("successThreshold") or 1), int(probe.get("failureThreshold") or 3))


def _port(probe_port, container: dict) -> int | None:
    if isinstance(probe_port, int) or (isinstance(probe_port, str) and probe_port.isdigit()):
        return int(probe_port)
    return next((p.get("containerPort") for p in container.get("ports") or () if p.get("name") == probe_port), None)


def run(kind: str, probe: dict, pod: dict, container: dict, running_for: float) -> tuple[bool, str]:
    """One probe attempt `running_for` seconds after the container started: (success, the failure output)."""
    ip = (pod.get("status") or {}).get("podIP") or ""
    name = container["name"]
    starting = after(pod, name, "ready-after")
    hung = after(pod, name, "fail-liveness-after")
    unready = after(pod, name, "fail-readiness-after")
    refused = starting is not None and running_for < starting
    status = None
    if hung is not None and running_for >= hung:
        status = 500
    elif kind == "readinessProbe" and unready is not None and running_for >= unready:
        status = 503
    listening = {p.get("containerPort") for p in container.get("ports") or ()}
    if "httpGet" in probe:
        get = probe["httpGet"]
        port = _port(get.get("port"), container)
        url = f"{get.get('scheme', 'HTTP').lower()}://{get.get('host') or ip}:{port}{get.get('path', '/')}"
        if refused or (listening and port not in listening):
            return False, f'Get "{url}": dial tcp {ip}:{port}: connect: connection refused'
        if status is not None:
            return False, f"HTTP probe failed with statuscode: {status}"
        return True, ""
    if "tcpSocket" in probe:
        port = _port(probe["tcpSocket"].get("port"), container)
        if refused or (listening and port not in listening) or status == 500:
            return False, f"dial tcp {ip}:{port}: connect: connection refused"
        return True, ""
    # exec and grpc: the check fails while the app is starting or unhealthy
    if refused or status is not None:
        return False, "command terminated with non-zero exit code: error executing command, exit status 1" \
            if "exec" in probe else "timeout: failed to connect service \":%s\" within 1s" % probe.get("grpc", {}).get("port")
    return True, ""
