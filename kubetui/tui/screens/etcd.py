"""The etcd browser: the store's keys as a lazily expanded tree, a key's value, revisions and history (read-only)."""

from __future__ import annotations

import json

import yaml
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.highlight import highlight
from textual.widgets import Footer, Static, Tree
from textual.widgets.tree import UnknownNodeID

from .live import LiveScreen

ROOT = "/registry/"
MAX_CHILDREN = 500  # tree nodes per directory; /registry/pods/default/ may hold 100,000 keys
TREE_EVERY = 4      # polls between tree re-syncs (keys change less often than values matter)

HINTS = [
    ("/registry/minions/", "Nodes are stored under /registry/minions/: \"minion\" was Kubernetes' first name "
                           "for a node, and the etcd key layout never changed."),
    ("/registry/services/specs/", "Services live under /registry/services/specs/ and their Endpoints under "
                                  "/registry/services/endpoints/: one old \"services\" tree holds both."),
    ("/registry/services/endpoints/", "Endpoints are stored next to Services, under /registry/services/endpoints/; "
                                      "the Service itself is under /registry/services/specs/."),
    ("/registry/controllers/", "ReplicationControllers are stored under /registry/controllers/: they were the "
                               "only controllers when the layout was chosen."),
    ("/registry/ingress/", "Ingresses are stored under the singular /registry/ingress/."),
    ("/registry/events/", "Events are stored as JSON text and expire after --event-ttl (1h) through an etcd lease."),
    ("/registry/leases/kube-node-lease/", "Each kubelet renews its node's Lease here: a missed renewal is how the "
                                          "control plane notices a dead node."),
    ("/registry/leases/kube-system/", "kube-scheduler, kube-controller-manager and cloud-controller-manager elect "
                                      "their leader here: the holder renews every 2 s; a standby takes over a Lease "
                                      "not renewed for 15 s."),
    ("/registry/masterleases/", "Each kube-apiserver keeps its address here under a 15 s etcd lease; the live ones "
                                "are the `kubernetes` Service's endpoints."),
    ("/registry/", "Every key's mod_revision is the object's resourceVersion; the API server is the only writer. "
                   "Nodes are under minions/, Services under services/specs/, RCs under controllers/."),
]


def hint_for(path: str) -> str:
    return next(text for prefix, text in HINTS if path.startswith(prefix) or prefix.startswith(path))


def children_of(keys: list[str], prefix: str) -> list[tuple[str, bool, int]]:
    """(name, is_directory, keys below) for the next path segment of every key under `prefix`, in key order."""
    out: list[tuple[str, bool, int]] = []
    index: dict[tuple[str, bool], int] = {}
    for key in keys:
        segment, slash, _ = key[len(prefix):].partition("/")
        entry = (segment, bool(slash))
        i = index.get(entry)
        if i is None:
            index[entry] = len(out)
            out.append((segment, bool(slash), 1))
        else:
            out[i] = (segment, bool(slash), out[i][2] + 1)
    return out


def value_text(value) -> str:
    """A stored value as YAML; Event values are JSON text in the store and are decoded first."""
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 30)


def members_text(status: dict) -> Text:
    """The title line: the store's members (one per control-plane machine) and whether they have quorum."""
    text = Text("etcd: the API server's store (read-only) │ members: ")
    for i, host in enumerate(status["hosts"]):
        if i:
            text.append(", ")
        mark = ("✓ raft leader" if host["etcdLeader"] else "✓") if host["running"] else "✗ down"
        text.append(f"{host['name']} {mark}", None if host["running"] else "bold red")
    if status["quorum"]:
        text.append(f" │ quorum ({status['running']} of {status['members']} up)", "green")
    else:
        text.append(f" │ NO QUORUM ({status['running']} of {status['members']} up, {status['needed']} needed): "
                    "writes fail", "bold red")
    return text


class EtcdScreen(LiveScreen):
    """Browse `/registry/...` (key `3`): select a key to see its value; `[` / `]` walk its revisions."""

    BINDINGS = [
        Binding("left_square_bracket", "older", "Older revision", id="etcd-older",
                tooltip="Show the selected key's previous revision"),
        Binding("right_square_bracket", "newer", "Newer revision", id="etcd-newer",
                tooltip="Show the selected key's next revision (back to the live value)"),
    ]

    DEFAULT_CSS = """
    EtcdScreen #etcd-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    EtcdScreen #etcd-tree { width: 45%; border-right: solid $panel; }
    EtcdScreen #etcd-meta { height: auto; padding: 0 1; color: $text-accent; }
    EtcdScreen #etcd-history { height: auto; padding: 0 1; }
    EtcdScreen #etcd-value { padding: 0 1; }
    EtcdScreen #etcd-hint { dock: bottom; height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, client, key: str | None = None) -> None:
        super().__init__(client)
        self.selected_key: str | None = None
        self.history: list | None = None  # the selected key's retained versions while walking them
        self.history_index: int | None = None  # None: showing the live value
        self._initial_key = key
        self._loaded: set[str] = set()  # directory prefixes whose children are in the tree
        self._polls = 0
        self._shown: tuple | None = None  # what the value pane shows, to skip identical repaints

    def compose(self) -> ComposeResult:
        yield Static(members_text(self.client.control_plane()), id="etcd-title")
        with Horizontal():
            tree: Tree = Tree(ROOT, data=ROOT, id="etcd-tree")
            tree.guide_depth = 2
            yield tree
            with Vertical():
                yield Static("Select a key", id="etcd-meta")
                yield Static("", id="etcd-history")
                with VerticalScroll():
                    yield Static("", id="etcd-value")
                yield Static(hint_for(ROOT), id="etcd-hint")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        self._load(tree.root)
        tree.root.expand()
        super().on_mount()
        if self._initial_key:
            self.select_key(self._initial_key)

    # -- the tree ------------------------------------------------------------------------------

    def _load(self, node) -> None:
        """Sync a directory node's children with the store in place (so the cursor and expanded
        subdirectories stay where they are)."""
        prefix = node.data
        entries = children_of(self.client.store_keys(prefix), prefix)
        wanted = [(prefix + name + ("/" if is_dir else ""), is_dir, count)
                  for name, is_dir, count in entries[:MAX_CHILDREN]]
        paths = {path for path, _, _ in wanted}
        for child in list(node.children):
            if child.data not in paths:
                child.remove()
        existing = {child.data: child for child in node.children}
        previous = None
        for path, is_dir, count in wanted:
            child = existing.get(path)
            label = self._dir_label(path, count) if is_dir else Text(path.rsplit("/", 1)[1])
            if child is None:
                where = {"after": previous} if previous is not None else (
                    {"before": node.children[0]} if node.children else {})
                child = node.add(label, data=path, allow_expand=is_dir, **where)
            elif is_dir:
                child.set_label(label)
            previous = child
        if len(entries) > MAX_CHILDREN:
            node.add_leaf(Text(f"… {len(entries) - MAX_CHILDREN} more (first {MAX_CHILDREN} shown)", style="dim"),
                          data=None)
        self._loaded.add(prefix)

    @staticmethod
    def _dir_label(path: str, count: int) -> Text:
        return Text.assemble(path.rstrip("/").rsplit("/", 1)[1] + "/", (f" {count}", "dim"))

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded) -> None:
        if event.node.data and event.node.data.endswith("/") and event.node.data not in self._loaded:
            self._load(event.node)

    @on(Tree.NodeCollapsed)
    def _collapsed(self, event: Tree.NodeCollapsed) -> None:
        # Collapsed directories are reloaded when opened again, so they are not kept in sync meanwhile.
        self._loaded.discard(event.node.data)

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        path = event.node.data
        if not path:
            return
        self.query_one("#etcd-hint", Static).update(hint_for(path))
        if not path.endswith("/"):
            self.show_key(path)

    def select_key(self, key: str) -> None:
        """Open the tree down to `key`, put the cursor on it and show its value."""
        tree = self.query_one(Tree)
        node = tree.root
        prefix = ROOT
        for segment in key[len(ROOT):].split("/")[:-1]:
            prefix += segment + "/"
            child = next((c for c in node.children if c.data == prefix), None)
            if child is None:
                break
            if prefix not in self._loaded:
                self._load(child)
            child.expand()
            node = child
        leaf = next((c for c in node.children if c.data == key), None)
        if leaf is not None:
            self.call_after_refresh(tree.move_cursor, leaf)
        self.show_key(key)

    # -- the value -----------------------------------------------------------------------------

    def show_key(self, key: str) -> None:
        if key != self.selected_key:
            self.selected_key = key
            self.history = None
            self.history_index = None
        self._render_value()
        self.query_one("#etcd-hint", Static).update(hint_for(key))

    def _render_value(self) -> None:
        key = self.selected_key
        if key is None:
            return
        meta = self.query_one("#etcd-meta", Static)
        value = self.query_one("#etcd-value", Static)
        status = self.query_one("#etcd-history", Static)
        kv = self.client.store_get(key) if self.history_index is None else self.history[self.history_index]
        shown = (key, self.history_index, kv.mod_revision if kv else None)
        if shown == self._shown:
            return
        self._shown = shown
        if self.history_index is None:
            status.update(Content.styled("live value  ([ older revisions)", "$text-muted"))
        else:
            status.update(self._history_line())
        if kv is None:
            meta.update(Content.assemble((key, "bold"), "\n", ("deleted at this point", "$error")))
            value.update("")
            return
        meta.update(Content.assemble(
            (kv.key, "bold"), "\n",
            f"create_revision {kv.create_revision}   mod_revision {kv.mod_revision}   version {kv.version}",
            f"   lease {kv.lease}" if kv.lease else ""))
        value.update(highlight(value_text(kv.value), language="yaml"))

    def _history_line(self) -> Content:
        total = len(self.history)
        line = Content(f"revision {self.history_index + 1} of {total} retained  ([ older, ] newer)")
        first = self.history[0]
        if self.history_index == 0:
            if first is not None and first.version == 1:
                note = f"  start of history: the key was created here (revision {first.create_revision})"
            else:
                note = "  start of retained history: older revisions compacted"
            line = line + Content.styled(note, "$text-warning")
        return line

    def action_older(self) -> None:
        if self.selected_key is None:
            self.notify("Select a key first")
            return
        history = self.client.store_history(self.selected_key)
        if self.history_index is None:
            self.history = history
            current = self.client.store_get(self.selected_key)
            # The live value is the newest retained version (or not retained at all after a compaction).
            start = len(history) - 1 if history and history[-1] is not None and current is not None \
                and history[-1].mod_revision == current.mod_revision else len(history)
            index = start - 1
        else:
            index = self.history_index - 1
        if index < 0:
            first = self.history[0] if self.history else None
            created = first is not None and first.version == 1
            self.notify("this is the key's first version" if created else "older revisions compacted", title="etcd")
            if self.history:
                self.history_index = 0
            self._render_value()
            if not self.history:
                self.query_one("#etcd-history", Static).update(
                    Content.styled("no older revision retained: older revisions compacted", "$warning"))
            return
        self.history_index = index
        self._render_value()

    def action_newer(self) -> None:
        if self.history_index is None:
            return
        index = self.history_index + 1
        current = self.client.store_get(self.selected_key) if self.selected_key else None
        if index >= len(self.history) or (index == len(self.history) - 1 and current is not None
                                          and self.history[index] is not None
                                          and self.history[index].mod_revision == current.mod_revision):
            self.history_index = None
            self.history = None
        else:
            self.history_index = index
        self._render_value()

    # -- live updates --------------------------------------------------------------------------

    def refresh_view(self) -> None:
        self._polls += 1
        self.query_one("#etcd-title", Static).update(members_text(self.client.control_plane()))
        if self._polls % TREE_EVERY == 0:
            tree = self.query_one(Tree)
            cursor = tree.cursor_node
            for node in self._expanded_dirs(tree.root):
                self._load(node)
            if cursor is not None and cursor.data and self._attached(tree, cursor):
                # Keys added above the cursor shift lines; keep the cursor on the same key.
                self.call_after_refresh(tree.move_cursor, cursor)
        if self.history_index is None:
            self._render_value()

    @staticmethod
    def _attached(tree: Tree, node) -> bool:
        try:
            return tree.get_node_by_id(node.id) is node
        except UnknownNodeID:
            return False

    def _expanded_dirs(self, node):
        if node.is_expanded:
            yield node
            for child in node.children:
                if child.data and child.data.endswith("/"):
                    yield from self._expanded_dirs(child)
