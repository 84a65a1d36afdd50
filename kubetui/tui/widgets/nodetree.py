"""Node tree: control-plane components and worker nodes with status, bars, taints; each expands to its pods."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ...engine.controlplane import CONTROL_PLANE_COMPONENTS
from ...engine.quantity import cpu_millis, format_bytes, format_cpu, to_bytes
from ...printers import node_roles, node_status, pod_status
from ..model import ClusterModel
from .podlist import status_variable

MAX_PODS_SHOWN = 200
BAR_WIDTH = 6
EXPAND_UP_TO_PODS = 60  # small clusters open fully; big ones stay collapsed until asked


EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(used: int, total: int, width: int = BAR_WIDTH) -> tuple[str, str, int]:
    """(filled, empty, percent) parts of a usage bar, in eighths of a cell so small requests still show."""
    ratio = min(1.0, used / total) if total else 0.0
    eighths = round(ratio * width * 8)
    if used and not eighths:
        eighths = 1
    full, part = divmod(eighths, 8)
    filled = "█" * full + (EIGHTHS[part] if part else "")
    return filled, "░" * (width - len(filled)), round(ratio * 100)


def component_state(status: dict | None, host: str, component: str) -> tuple[str, str | None]:
    """What a control-plane process on `host` is doing, and the theme variable to show it in."""
    machine = next((h for h in (status or {}).get("hosts", ()) if h["name"] == host), None)
    if machine is None:
        return "running", "node-ready"
    if not machine["running"]:
        return "stopped (machine off)", "node-notready"
    if component == "kube-apiserver":
        return "running", "node-ready"
    if component == "etcd":
        if not status["quorum"]:
            return f"member, no quorum ({status['running']} of {status['members']} up)", "error"
        return ("member, raft leader" if machine["etcdLeader"] else "member"), "node-ready"
    leader = status["leaders"].get(component)
    if leader == host:
        return "leader", "node-ready"
    return ("standby, no leader" if leader is None else "standby"), None


def short_taint(taint: dict) -> str:
    key = taint.get("key", "")
    return f"{key.rsplit('/', 1)[-1]}:{taint.get('effect', '')}"


class NodeTree(Tree):
    """One tree node per cluster Node, updated in place from the model."""

    DEFAULT_CSS = "NodeTree { height: 1fr; }"

    def __init__(self, model: ClusterModel, **kwargs):
        super().__init__("cluster", **kwargs)
        self.model = model
        self.show_root = False
        self.guide_depth = 2
        self._items: dict[str, TreeNode] = {}
        self.control_plane: dict | None = None  # the client's control_plane() status
        self._children_sig: dict[str, tuple] = {}
        self._label_sig: dict[str, tuple] = {}

    def _style(self, variable: str) -> Style:
        return Style(color=self.app.theme_variables.get(variable))

    def node_label(self, node: dict) -> Text:
        name = node["metadata"]["name"]
        status = node_status(node)
        ready = status.split(",")[0] == "Ready"
        text = Text()
        text.append("● ", self._style("node-ready" if ready else "node-notready"))
        text.append(name, Style(bold=True))
        text.append(f" {status.split(',')[0]}", self._style("node-ready" if ready else "node-notready"))
        roles = node_roles(node)
        if roles != "<none>":
            text.append(f" {roles}")
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        cpu_used, mem_used = self.model.allocated(name)
        cpu_total = cpu_millis(allocatable.get("cpu", "0"))
        mem_total = to_bytes(allocatable.get("memory", "0"))
        for label, used, total, fmt in (("cpu", cpu_used, cpu_total, format_cpu), ("mem", mem_used, mem_total, format_bytes)):
            full, empty, percent = bar(used, total)
            text.append(f" {label} ")
            text.append(full, self._style("bar-fill"))
            text.append(empty, self._style("bar-empty"))
            text.append(f" {fmt(used)}/{fmt(total)}")
        if (node.get("spec") or {}).get("unschedulable"):
            text.append(" cordoned", self._style("node-cordoned"))
        taints = [short_taint(t) for t in (node.get("spec") or {}).get("taints") or ()]
        if taints:
            text.append(" taints: " + ", ".join(taints), Style(dim=True))
        return text

    def _pod_label(self, pod: dict) -> Text:
        status = pod_status(pod)
        text = Text(f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}  ")
        text.append(status, self._style(status_variable(status)))
        return text

    def refresh_nodes(self) -> None:
        """Bring the tree up to date with the model (labels in place; pod children only for open nodes)."""
        nodes = self.model.nodes()
        order = sorted(nodes, key=lambda n: ("node-role.kubernetes.io/control-plane" not in
                                             (nodes[n]["metadata"].get("labels") or {}), n))
        for name in [n for n in self._items if n not in nodes]:
            self._items.pop(name).remove()
            self._children_sig.pop(name, None)
            self._label_sig.pop(name, None)
        for name in order:
            item = self._items.get(name)
            sig = (nodes[name]["metadata"].get("resourceVersion"), self.model.allocated(name), self.app.theme)
            if item is None:
                item = self._items[name] = self.root.add(self.node_label(nodes[name]), data=("node", name),
                                                         expand=len(self.model.pods()) <= EXPAND_UP_TO_PODS)
            elif self._label_sig.get(name) != sig:
                item.set_label(self.node_label(nodes[name]))
            self._label_sig[name] = sig
            self._refresh_children(name, item, nodes[name])

    def _refresh_children(self, name: str, item: TreeNode, node: dict) -> None:
        control_plane = "node-role.kubernetes.io/control-plane" in (node["metadata"].get("labels") or {})
        if not item.is_expanded:
            self._children_sig.pop(name, None)  # rebuilt when opened
            return
        pods = self.model.pods_on(name)
        sig = (control_plane and repr(self.control_plane),
               tuple((p["metadata"]["name"], p["metadata"].get("resourceVersion")) for p in pods))
        if self._children_sig.get(name) == sig and (item.children or not (pods or control_plane)):
            return
        self._children_sig[name] = sig
        cursor_data = self.cursor_node.data if self.cursor_node is not None else None
        item.remove_children()
        if control_plane:
            for component in CONTROL_PLANE_COMPONENTS:
                state, variable = component_state(self.control_plane, name, component)
                leaf = Text("⚙ ")
                leaf.append(component)
                leaf.append(f"  {state}", self._style(variable) if variable else Style(dim=True))
                item.add_leaf(leaf, data=("component", component))
        for pod in pods[:MAX_PODS_SHOWN]:
            key = f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}"
            item.add_leaf(self._pod_label(pod), data=("pod", key))
        if len(pods) > MAX_PODS_SHOWN:
            item.add_leaf(Text(f"… {len(pods) - MAX_PODS_SHOWN} more pods (see the pod list)", Style(dim=True)),
                          data=("node", name))
        if cursor_data is not None and cursor_data[0] == "pod":
            for child in item.children:
                if child.data == cursor_data:
                    self.move_cursor(child)
                    break

    def show_control_plane(self, status: dict) -> None:
        """Relabel the control-plane machines' processes when who runs or leads what changed."""
        if status == self.control_plane:
            return
        self.control_plane = status
        for host in status["hosts"]:
            item = self._items.get(host["name"])
            if item is not None:
                self._refresh_children(host["name"], item, self.model.nodes()[host["name"]])

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data
        if data and data[0] == "node" and data[1] in self.model.nodes():
            self._children_sig.pop(data[1], None)
            self._refresh_children(data[1], event.node, self.model.nodes()[data[1]])

    def select_node(self, name: str) -> None:
        """Put the cursor on a cluster node's line."""
        item = self._items.get(name)
        if item is not None:
            self._tree_lines  # move_cursor goes by the node's line: recount lines the last rebuild changed
            self.move_cursor(item)

    @property
    def selected(self) -> tuple | None:
        node = self.cursor_node
        return node.data if node is not None else None
