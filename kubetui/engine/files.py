"""Simulated file contents, so users can see what survives: a container's own files, emptyDir, volumes, config.

A path inside a container resolves through its volumeMounts (longest mountPath first) to a backing store:
- no mount: the container's writable layer — gone when the container restarts;
- emptyDir: the pod's — survives container restarts, gone with the pod;
- persistentVolumeClaim / hostPath: the volume's (or the node's path) — survives the pod;
- configMap / secret / projected: read-only files of the source's keys, refreshed only when the kubelet
  syncs the volume again (CONFIG_SYNC_SECONDS), while environment variables never change.
"""

from __future__ import annotations

import base64
import posixpath

from .api import errors
from .clock import parse_rfc3339

CONFIG_SYNC_SECONDS = 60.0  # the kubelet's sync period plus its ConfigMap cache TTL, roughly


class FileSystems:
    """All backing stores of the cluster: {store key: {relative path: text}}."""

    def __init__(self, api, clock):
        self.api = api
        self.clock = clock
        self.keys = None  # tokens.ClusterKeys, set once the cluster is bootstrapped
        self._stores: dict[tuple, dict[str, str]] = {}
        self._config: dict[tuple, tuple[float, dict[str, str]]] = {}

    def exec(self, pod: dict, container: str, container_id: str, argv: list[str]) -> str:
        """A few shell commands inside the container: `write PATH TEXT…`, `cat PATH`, `ls [PATH]`, `rm PATH`."""
        if not argv:
            raise errors.bad_request("you must specify at least one command for the container")
        command, args = argv[0], argv[1:]
        if command == "write" and len(args) >= 2:
            store, rel, read_only = self._resolve(pod, container, container_id, args[0])
            if read_only:
                raise errors.bad_request(f"write {args[0]}: read-only file system")
            store[rel] = " ".join(args[1:])
            return ""
        if command == "cat" and len(args) == 1:
            store, rel, _ = self._resolve(pod, container, container_id, args[0])
            if rel not in store:
                raise errors.bad_request(f"cat: can't open '{args[0]}': No such file or directory")
            return store[rel] + "\n"
        if command == "rm" and len(args) == 1:
            store, rel, read_only = self._resolve(pod, container, container_id, args[0])
            if read_only:
                raise errors.bad_request(f"rm: can't remove '{args[0]}': Read-only file system")
            if store.pop(rel, None) is None:
                raise errors.bad_request(f"rm: can't remove '{args[0]}': No such file or directory")
            return ""
        if command == "ls" and len(args) <= 1:
            path = args[0] if args else "/"
            store, rel, _ = self._resolve(pod, container, container_id, path)
            prefix = "" if rel in ("", ".") else rel.rstrip("/") + "/"
            names = sorted({p[len(prefix):].split("/")[0] for p in store if p.startswith(prefix)})
            return "".join(n + "\n" for n in names)
        raise errors.bad_request(f"simulated shell: only write PATH TEXT, cat PATH, ls [PATH] and rm PATH, "
                                 f"not {' '.join(argv)!r}")

    def files(self, pod: dict, volume: str) -> dict[str, str]:
        """The files of one of the pod's volumes, as a container would read them."""
        vol = next((v for v in pod["spec"].get("volumes") or () if v.get("name") == volume), None)
        if vol is None:
            raise errors.not_found("volumes", "", volume)
        return dict(self._volume_store(pod, vol)[0])

    def _resolve(self, pod: dict, container: str, container_id: str, path: str) -> tuple[dict, str, bool]:
        path = posixpath.normpath("/" + path.lstrip("/"))
        spec = next(c for c in [*(pod["spec"].get("initContainers") or ()), *pod["spec"]["containers"]]
                    if c["name"] == container)
        mounts = sorted(spec.get("volumeMounts") or (), key=lambda m: -len(m.get("mountPath", "")))
        for mount in mounts:
            root = posixpath.normpath(mount.get("mountPath", "/"))
            if path == root or path.startswith(root.rstrip("/") + "/"):
                vol = next((v for v in pod["spec"].get("volumes") or () if v.get("name") == mount.get("name")), None)
                if vol is None:
                    break
                store, read_only = self._volume_store(pod, vol)
                return store, posixpath.relpath(path, root) if path != root else "", read_only or bool(
                    mount.get("readOnly"))
        return self._stores.setdefault(("container", container_id), {}), path.lstrip("/"), False

    def _volume_store(self, pod: dict, vol: dict) -> tuple[dict, bool]:
        meta = pod["metadata"]
        if "persistentVolumeClaim" in vol:
            claim = self.api.try_get("persistentvolumeclaims", vol["persistentVolumeClaim"].get("claimName", ""),
                                     meta["namespace"])
            name = (claim or {}).get("spec", {}).get("volumeName")
            if not name:
                raise errors.bad_request(f'volume "{vol["name"]}" is not mounted: its claim is not bound')
            return self._stores.setdefault(("pv", name), {}), False
        if "hostPath" in vol:
            node = pod["spec"].get("nodeName")
            return self._stores.setdefault(("host", node, vol["hostPath"].get("path")), {}), False
        if any(k in vol for k in ("configMap", "secret", "projected", "downwardAPI")):
            return self._config_files(pod, vol), True
        return self._stores.setdefault(("emptyDir", meta["uid"], vol["name"]), {}), False

    def _token(self, pod: dict, expiration: int) -> str:
        """The pod's bound token, as the kubelet last fetched it: at start, then whenever 80 % of the
        requested lifetime has passed."""
        meta, spec = pod["metadata"], pod["spec"]
        account = self.api.try_get("serviceaccounts", spec.get("serviceAccountName") or "default", meta["namespace"])
        node = self.api.try_get("nodes", spec["nodeName"]) if spec.get("nodeName") else None
        started = parse_rfc3339((pod.get("status") or {}).get("startTime") or meta["creationTimestamp"])
        refresh = 0.8 * expiration
        issued = started + (self.clock.now - started) // refresh * refresh
        return self.keys.bound_token(pod, (account or {}).get("metadata", {}).get("uid", ""), node, issued, expiration)

    def _config_files(self, pod: dict, vol: dict) -> dict[str, str]:
        key = (pod["metadata"]["uid"], vol["name"])
        now = self.clock.now
        cached = self._config.get(key)
        if cached is not None and now - cached[0] < CONFIG_SYNC_SECONDS:
            return cached[1]
        files: dict[str, str] = {}
        ns = pod["metadata"]["namespace"]
        sources = (vol.get("projected") or {}).get("sources") or [vol]
        for source in sources:
            for field, plural, name_key in (("configMap", "configmaps", "name"), ("secret", "secrets", "secretName")):
                src = source.get(field)
                if src is None:
                    continue
                obj = self.api.try_get(plural, src.get(name_key) or src.get("name", ""), ns) or {}
                data = dict(obj.get("data") or {})
                if plural == "secrets":
                    data = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in data.items()}
                items = src.get("items")
                for k, v in data.items():
                    if not items:
                        files[k] = v
                for item in items or ():
                    if item.get("key") in data:
                        files[item.get("path", item["key"])] = data[item["key"]]
            if "serviceAccountToken" in source:
                request = source["serviceAccountToken"]
                files[request.get("path", "token")] = self._token(pod, request.get("expirationSeconds", 3600))
            if "downwardAPI" in source:
                for item in source["downwardAPI"].get("items") or ():
                    if (item.get("fieldRef") or {}).get("fieldPath") == "metadata.namespace":
                        files[item["path"]] = ns
        self._config[key] = (now, files)
        return files
