"""Every app key binding (each with an id) and the user keymap file that remaps them."""

from __future__ import annotations

from pathlib import Path

import yaml
from textual.binding import Binding

from ..data import user_config_dir

# (id, key, action, footer label, what it does, shown in the footer)
_SPEC = [
    ("screen-main", "1", "screen_main", "Main", "Main screen", False),
    ("screen-network", "2", "screen_network", "Network", "Network map: Ingress → Service → endpoints → pods", False),
    ("screen-etcd", "3", "screen_etcd", "etcd", "etcd browser: the store's keys and revisions", False),
    ("screen-editor", "4", "screen_editor", "Editor", "YAML editor", False),
    ("screen-timeline", "5", "screen_timeline", "Timeline", "Events timeline, filterable by object", False),
    ("time-travel", "T", "time_travel", "Time travel",
     "Time travel: scrub back through the store's revisions; every pane shows that moment, read-only", False),
    ("describe", "d", "describe", "Describe", "Describe the selected object (kubectl describe)", True),
    ("explain", "s", "explain", "Explain", "Scheduler explain for the selected pod", True),
    ("edit", "e", "edit", "Edit", "Edit the selected object's live YAML", True),
    ("proxy-rules", "p", "proxy_rules", "kube-proxy", "kube-proxy's Service rules on the selected node (or the pod's)",
     False),
    ("runtime", "r", "runtime", "Runtime", "Runtime of the selected node (or the pod's): pause sandboxes too",
     False),
    ("files", "f", "files", "Files", "The selected pod's volumes and files, and what survives what", False),
    ("top", "M", "top", "Top", "Metrics (kubectl top): nodes (node selected), or the namespace's pods", False),
    ("quota", "Q", "quota", "Quotas", "ResourceQuotas and LimitRanges of the selection's namespace", False),
    ("new-object", "N", "new_object", "New", "New object from a template (YAML editor)", False),
    ("kill", "x", "kill", "Kill", "Kill the selection: node → its machine powers off; pod → delete --now", True),
    ("crash", "X", "crash", "Crash", "Crash the selected pod's container (the kubelet restarts it)", False),
    ("restart-node", "R", "restart_node", "Restart node", "Power a dead node's machine back on", False),
    ("add-node", "a", "add_node", "Add node", "Add a worker node", False),
    ("cordon", "c", "cordon", "Cordon", "Cordon / uncordon the selected node", True),
    ("drain", "D", "drain", "Drain", "Drain the selected node: cordon it, evict its pods", False),
    ("scale-up", "plus", "scale(1)", "Scale +1", "Scale the selected workload (or the pod's owner) up by one", False),
    ("scale-down", "minus", "scale(-1)", "Scale -1",
     "Scale the selected workload (or the pod's owner) down by one", False),
    ("rollout-undo", "u", "rollout_undo", "Undo", "Roll back the selected Deployment (or the pod's)", False),
    ("pause", "space", "toggle_pause", "Pause", "Pause / resume the virtual clock", True),
    ("step", "n", "step", "Step 1s", "Step the virtual clock one second", True),
    ("faster", "greater_than_sign", "faster", "Faster", "Double the speed", False),
    ("slower", "less_than_sign", "slower", "Slower", "Halve the speed", False),
    ("filter", "slash", "filter", "Filter", "Filter pods: text, or -l SELECTOR", True),
    ("command-mode", "colon", "command_mode", "Command",
     "Command line: get, describe, scale, delete, apply -f, kill, cordon, drain, rollout undo, top, proxy, crictl, "
     "files, quota, traffic, exec, load, speed, theme, quit (tab completes, up/down history)", True),
    ("sort", "o", "sort", "Sort", "Sort pods by the next column", False),
    ("sort-reverse", "O", "sort_reverse", "Reverse", "Reverse the pod sort order", False),
    ("next-pane", "tab", "focus_pane(1)", "Next pane", "Move to the next pane: nodes → pods → events → workloads",
     False),
    ("previous-pane", "shift+tab", "focus_pane(-1)", "Prev pane", "Move to the previous pane", False),
    ("theme", "t", "cycle_theme", "Theme", "Next theme", False),
    ("lesson", "L", "toggle_lesson", "Lesson", "Show or hide the lesson pane (when the scenario has a lesson)", False),
    ("hint", "h", "hint", "Hint", "The current lesson step's next hint", False),
    ("help", "question_mark", "help", "Help", "Help: every key and what it does", True),
    ("quit", "q", "quit", "Quit", "Quit", True),
]

# Keys the focused pane or the screen would otherwise take (the node tree toggles a node on space, Screen binds
# tab to the plain focus chain); text prompts still get them (KubetuiApp.check_action).
PRIORITY = {"pause", "next-pane", "previous-pane"}

BINDINGS: list[Binding] = [
    Binding(key, action, label, show=show, id=binding_id, tooltip=what, priority=binding_id in PRIORITY)
    for binding_id, key, action, label, what, show in _SPEC
]
BINDING_IDS = {b.id for b in BINDINGS}
DESTRUCTIVE = {"kill", "crash", "drain", "rollout-undo"}


def keymap_path() -> Path:
    return user_config_dir() / "keymap.yaml"


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """The user's remaps (`binding-id: key[,key]`) and problems found; a missing file is no remap."""
    path = keymap_path() if path is None else path
    if not path.is_file():
        return {}, []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return {}, [f"{path}: {exc}"]
    if not isinstance(data, dict):
        return {}, [f"{path}: expected a mapping of binding id to key"]
    keymap: dict[str, str] = {}
    problems = []
    for binding_id, keys in data.items():
        if binding_id not in BINDING_IDS:
            problems.append(f"{path}: field {binding_id}: unknown binding id")
        elif not isinstance(keys, str) or not keys.strip():
            problems.append(f"{path}: field {binding_id}: expected a key such as 'ctrl+k'")
        else:
            keymap[binding_id] = keys
    return keymap, problems


def describe(binding: Binding) -> str:
    return binding.tooltip or binding.description


def effective_key(binding: Binding, keymap: dict[str, str]) -> str:
    return keymap.get(binding.id or "", binding.key)
