"""`f` / `:files POD [-n NS]`: each of a pod's volumes, where it is mounted, what outlives what, and its files."""

from __future__ import annotations

import posixpath

from ...engine.api.errors import ApiError
from .live import TextScreen

PREVIEW = 60  # characters of a file's first line
CONFIG_SOURCES = ("configMap", "secret", "projected", "downwardAPI")
SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def volume_type(volume: dict) -> str:
    return next((k for k in volume if k != "name"), "emptyDir")


def _sources(volume: dict) -> str:
    """What a config volume is built from, e.g. `serviceAccountToken, configMap kube-root-ca.crt, downwardAPI`."""
    out = []
    for source in (volume.get("projected") or {}).get("sources") or [volume]:
        for field in ("serviceAccountToken", "configMap", "secret", "downwardAPI"):
            if field in source:
                spec = source[field] or {}
                name = spec.get("name") or spec.get("secretName")
                out.append(f"{field} {name}" if name else field)
    return ", ".join(out)


def lifetime(volume: dict, node: str | None) -> str:
    """What survives a container restart and the pod's deletion, per volume type."""
    kind = volume_type(volume)
    if kind == "emptyDir":
        return "survives container restarts; deleted with the pod"
    if kind == "persistentVolumeClaim":
        return "survives container restarts and the pod's deletion: the PersistentVolume keeps the data"
    if kind == "hostPath":
        return (f"a directory on {node or 'the node'}: survives the pod, but a pod on another node "
                "does not see it")
    if kind in CONFIG_SOURCES:
        return ("read-only: rebuilt from its sources by the kubelet (changes appear after its next sync, "
                "~1 min); writes fail")
    return "not simulated"


def _describe(volume: dict, claims: dict[str, dict]) -> str:
    kind = volume_type(volume)
    spec = volume.get(kind) or {}
    if kind == "persistentVolumeClaim":
        claim = claims.get(spec.get("claimName", ""))
        bound = ((claim or {}).get("spec") or {}).get("volumeName")
        return f"PVC {spec.get('claimName')}" + (f" → PV {bound}" if bound else " (not bound)")
    if kind == "hostPath":
        return f"hostPath {spec.get('path')}"
    if kind == "emptyDir":
        return "emptyDir" + (" (medium Memory: tmpfs)" if spec.get("medium") == "Memory" else "")
    if kind in CONFIG_SOURCES:
        return f"{kind} ({_sources(volume)})"
    return kind


def _mounts(pod: dict, volume: str) -> list[tuple[str, dict]]:
    spec = pod["spec"]
    return [(c["name"], m) for c in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]
            for m in c.get("volumeMounts") or () if m.get("name") == volume]


def _preview(text: str) -> str:
    first, _, rest = text.partition("\n")
    more = len(first) > PREVIEW or bool(rest.strip())
    return first[:PREVIEW] + (" …" if more else "")


def files_text(client, pod_name: str, namespace: str) -> str:
    """The pod's volumes and their files; raises ApiError if the pod is gone."""
    pod = client.get("pods", pod_name, namespace)
    spec = pod["spec"]
    node = spec.get("nodeName")
    volumes = spec.get("volumes") or []
    claims = {}
    if any("persistentVolumeClaim" in v for v in volumes):
        claims = {c["metadata"]["name"]: c for c in client.list("persistentvolumeclaims", namespace)}
    lines = [f"Pod {namespace}/{pod_name}   node {node or '<none>'}   "
             f"service account {spec.get('serviceAccountName') or 'default'}", ""]
    if not volumes:
        lines.append("(no volumes)")
    for volume in volumes:
        name = volume["name"]
        mounts = _mounts(pod, name)
        read_only = volume_type(volume) in CONFIG_SOURCES
        lines.append(f"Volume {name}   {_describe(volume, claims)}" + ("   read-only" if read_only else ""))
        if any(m.get("mountPath") == SERVICE_ACCOUNT_PATH for _, m in mounts):
            lines.append("  the ServiceAccount's API credentials: token, the cluster CA (ca.crt) and the namespace")
        lines.append(f"  lifetime: {lifetime(volume, node)}")
        for container, m in mounts:
            flags = [f"subPath {m['subPath']}"] if m.get("subPath") else []
            if m.get("readOnly") or read_only:
                flags.append("ro")
            lines.append(f"  mounted in {container} at {m.get('mountPath')}" + (f" ({', '.join(flags)})" if flags
                                                                                    else ""))
        if not mounts:
            lines.append("  not mounted in any container")
        try:
            files = client.volume_files(pod_name, name, namespace)
        except ApiError as exc:
            lines += [f"  ✗ {exc.message}", ""]
            continue
        root = mounts[0][1].get("mountPath", "/") if mounts and not mounts[0][1].get("subPath") else ""
        shown = [(posixpath.join(root, path) if root else path, text) for path, text in files.items()]
        width = max((len(path) for path, _ in shown), default=0)
        for path, text in sorted(shown):
            size = f"{len(text.encode())} B"
            lines.append(f"    {path.ljust(width)}  {size:>8}  {_preview(text)}")
        if not files:
            lines.append("    (empty)")
        lines.append("")
    lines.append("Files written outside these mounts live in the container's writable layer: gone when the "
                 "container restarts (see :exec POD -- ls /).")
    return "\n".join(lines)


class FilesScreen(TextScreen):
    """Follows the files as containers write them (file contents are not API objects, so it follows the clock)."""

    REFRESH_HZ = 2
    FOLLOW_CLOCK = True

    def __init__(self, client, pod: str, namespace: str) -> None:
        super().__init__(client)
        self.pod = pod
        self.namespace = namespace
        self._last_good = ""

    def title_text(self) -> str:
        return f"volumes and files of pod {self.namespace}/{self.pod}"

    def view_text(self) -> str:
        try:
            text = self._last_good = files_text(self.client, self.pod, self.namespace)
        except ApiError as exc:
            return (f"Error from server ({exc.reason}): {exc.message}\n"
                    "The pod is gone: its emptyDir volumes went with it; PersistentVolumes keep their data.\n\n"
                    + self._last_good)
        return text
