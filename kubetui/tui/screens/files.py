"""`f` on a pod: each of its volumes and the files in it, and what each kind of volume survives."""

from __future__ import annotations

from ...engine.api.errors import ApiError
from ...engine.api.serviceaccounts import TOKEN_MOUNT_PATH
from .live import TextScreen

MAX_SHOWN = 2000  # characters of a file's content shown (a token is ~1,200)

_LIFETIMES = (
    ("emptyDir", "emptyDir: shared by the pod's containers, survives container restarts, gone with the pod"),
    ("persistentVolumeClaim", "PersistentVolumeClaim: outlives the pod; a new pod with the claim finds the files"),
    ("hostPath", "hostPath: the node's own disk; outlives the pod, but only on this node"),
    ("configMap", "configMap: read-only, follows edits of the ConfigMap after the kubelet's next sync (~1 min)"),
    ("secret", "secret: read-only, follows edits of the Secret after the kubelet's next sync (~1 min)"),
    ("projected", "projected: read-only; the ServiceAccount token is renewed by the kubelet before it expires"),
    ("downwardAPI", "downwardAPI: read-only facts about the pod itself"),
)


def _lifetime(volume: dict) -> str:
    return next((text for key, text in _LIFETIMES if key in volume), "")


def files_text(client, namespace: str, name: str) -> str:
    pod = client.get("pods", name, namespace)
    spec = pod["spec"]
    mounts: dict[str, list[str]] = {}
    for c in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]:
        for m in c.get("volumeMounts") or ():
            mounts.setdefault(m["name"], []).append(f"{c['name']}:{m['mountPath']}" + (" (ro)" if m.get("readOnly") else ""))
    lines = [f"volumes of pod {namespace}/{name}", "",
             "Files outside every volume live in the container's own layer: a restart starts it afresh.",
             "Write some: :exec POD -- write /path/file text"]
    for volume in spec.get("volumes") or ():
        vname = volume["name"]
        lines += ["", f"▸ {vname}   mounted at {', '.join(mounts.get(vname, ['(not mounted)']))}",
                  f"  {_lifetime(volume)}"]
        if any(TOKEN_MOUNT_PATH in p for p in mounts.get(vname, ())):
            lines.append("  the ServiceAccount's API credentials: a JWT (decode its middle part), the cluster CA, "
                         "the namespace")
        try:
            files = client.volume_files(name, vname, namespace)
        except ApiError as exc:
            lines.append(f"  ({exc.message})")
            continue
        if not files:
            lines.append("  (empty)")
        for path in sorted(files):
            content = files[path]
            shown = content if len(content) <= MAX_SHOWN else content[:MAX_SHOWN] + f"… ({len(content)} characters)"
            first, *rest = shown.splitlines() or [""]
            lines.append(f"  {path}: {first}")
            lines += [f"  {' ' * len(path)}  {line}" for line in rest]
    if not spec.get("volumes"):
        lines += ["", "no volumes"]
    return "\n".join(lines)


class FilesScreen(TextScreen):
    """Follows the pod's volumes as containers write files and config sources change."""

    def __init__(self, client, namespace: str, name: str) -> None:
        super().__init__(client, f"files of pod {namespace}/{name}")
        self.pod = (namespace, name)

    def build_text(self) -> str:
        try:
            return files_text(self.client, *self.pod)
        except ApiError as exc:
            return exc.message
