"""The kubetui Textual app: main screen, live clock, chaos and repair keys, themes, and `run_tui`."""

from __future__ import annotations

import asyncio
import importlib
import time
from pathlib import Path
from typing import Callable

from textual import events
from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Static, Tree

from ..data import scenario_folders
from ..engine.api import kinds
from ..engine.api.errors import ApiError
from ..engine import gcpolicy
from ..engine.cluster import NodeConfig
from ..engine.timetravel import ClusterAt
from ..live import LiveRunner
from ..scenario.lesson import LessonProgress
from ..recording import RecordingClient, RecordingRunner, ReplayingClient, replay_directive
from ..scenario.loader import ScenarioError, load_scenario
from ..scenario.model import localized
from ..scenario.yamlsrc import SourceError, load_documents
from . import commands as cmd
from . import keymap as keys
from .model import RESOURCES, ClusterModel
from .themes import DEFAULT_THEME, STATUS_VARIABLES, load_themes
from .widgets.commandline import CommandLine
from .widgets.dialogs import ConfirmDialog, HelpScreen
from .widgets.events import EventsPane
from .widgets.header import ClusterHeader, control_plane_alert, speed_text
from .widgets.lesson import LessonPane
from .widgets.nodetree import NodeTree
from .widgets.podlist import FilterInput, PodList
from .widgets.timetravel import TimeTravelBar
from .widgets.workloads import KINDS as WORKLOAD_KINDS, WorkloadList

REFRESH_HZ = 5
TICK_HZ = 20
# After a key or click the engine waits this long, so the answer to the input is painted first.
INPUT_GRACE = 0.03
CAPTION_SECONDS = 8.0  # how long a scenario's note stays on screen unless it says otherwise
_INPUT_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
SCALABLE = ("deployments", "replicasets", "replicationcontrollers", "statefulsets")
# Actions that act on the main screen's selection; other screens bring their own keys.
PANES = ("nodes", "pods", "events", "workloads")  # the Tab order of the main screen
SELECTION_ACTIONS = {"kill", "crash", "restart_node", "cordon", "drain", "scale", "rollout_undo", "describe",
                     "explain", "edit", "proxy_rules", "runtime", "files", "top", "quota", "filter", "sort",
                     "sort_reverse"}
HELP_NOTES = """Panes: nodes (enter expands a node to its pods), workloads & services, pods, events.
The selected thing is the cursor line of the focused pane (or of the pane focused last).
Pod list: click a column title to sort by it; `/` then `-l app=web` filters by labels.
`:` opens the command line (kubectl-like: get, describe, scale, delete, apply -f, kill, cordon, drain, rollout undo,
top, proxy, crictl, files, quota, traffic, exec, load, speed, theme, quit); tab completes commands, resources and names;
up/down walk the history.
Screens: 2 network map, 3 etcd browser, 4 YAML editor, 5 events timeline; 1 comes back here."""


class KubetuiApp(App):
    """A live view of one simulated cluster, driven through a Client and a LiveRunner."""

    CSS_PATH = "app.tcss"
    TITLE = "kubetui"
    BINDINGS = keys.BINDINGS
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (130, "-wide")]  # the lesson pane moves under the panes when narrow
    lang = "en"  # the language of scenario text shown (notes)

    def __init__(self, client, runner: LiveRunner, scenario_name: str, confirm: bool = True,
                 theme: str | None = None, live: bool = True, theme_dirs=None, keymap_file=None):
        super().__init__()
        self.client = client
        self.runner = runner
        self.scenario_name = scenario_name
        self.confirm = confirm
        self.requested_theme = theme
        self.live = live
        self.theme_dirs = theme_dirs
        self.keymap_file = keymap_file
        self.scenario_lock: str | None = None  # why `:load` is refused (a recording or replay holds the scenario)
        self.scenario_dir: Path | None = None  # the scenario's folder: `:apply -f` finds lesson files there
        self.lesson: LessonProgress | None = None  # the loaded scenario's lesson, if it has one
        self.travel: int | None = None  # the past revision the panes show (None: live)
        self._live_client = client
        self._paused_before_travel = False
        self.model = ClusterModel(client)
        self.kubetui_themes: list[str] = []
        self.user_keymap: dict[str, str] = {}
        self._last_pane = None
        self._shown_version = -1
        self._shown_second = -1
        self._swapping = False
        self._input_at = 0.0
        self._caption_timer = None

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(STATUS_VARIABLES)

    def compose(self) -> ComposeResult:
        clock = lambda: self.client.now
        yield ClusterHeader(self.scenario_name, id="header")
        with Horizontal(id="body"):
            with Horizontal(id="main"):
                with Vertical(id="left"):
                    yield NodeTree(self.model, id="nodes")
                    yield WorkloadList(self.model, id="workloads")
                with Vertical(id="right"):
                    yield FilterInput(placeholder="filter pods: text, or -l app=web   (enter applies, esc clears)",
                                      id="filter")
                    yield PodList(self.model, clock, id="pods")
                    yield EventsPane(self.model, clock, id="events")
            if self.lesson is not None:
                yield LessonPane(self.lesson, id="lesson")
        yield Static(id="caption")
        yield CommandLine(CompletionNames(self), id="command")
        if self.travel is not None:
            yield TimeTravelBar(self._live_client.cluster.store, self.travel,
                                self._live_client.cluster.profile.compaction_interval, id="travel")
        yield Footer()

    def on_mount(self) -> None:
        self._load_themes()
        self.user_keymap, problems = keys.load_keymap(self.keymap_file)
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        if problems:
            self.notify("\n".join(problems), title="Keymap problems", severity="warning", timeout=10)
        self._init_panes()
        self.set_interval(1 / REFRESH_HZ, self._scheduled_refresh)

    def on_ready(self) -> None:
        """The first frame is on screen: start the clock."""
        if self.live:
            self.run_worker(self._drive_clock(), name="clock", group="clock", exclusive=True)

    def _init_panes(self) -> None:
        self.query_one("#nodes", NodeTree).border_title = "Nodes"
        self.query_one("#workloads", WorkloadList).border_title = "Workloads & service map"
        self.query_one("#events", EventsPane).border_title = "Events (newest first)"
        self.refresh_views(force=True)
        nodes = self.query_one("#nodes", NodeTree)
        nodes.focus()
        nodes.cursor_line = 0  # the first node is selected, so `x` and friends act at once

    def on_unmount(self) -> None:
        self.model.close()

    # -- themes --------------------------------------------------------------------------------

    def _load_themes(self) -> None:
        themes, problems = load_themes(self.theme_dirs)
        for theme in themes:
            self.register_theme(theme)
        self.kubetui_themes = [t.name for t in themes]
        wanted = self.requested_theme or DEFAULT_THEME
        notes = [str(p) for p in problems]
        if wanted not in self.available_themes:
            fallback = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
            notes.append(f"theme {wanted!r} is not available; using {fallback!r}")
            wanted = fallback
        self.theme = wanted
        if notes:
            self.notify("\n".join(notes), title="Theme problems", severity="warning", timeout=10)

    def action_cycle_theme(self) -> None:
        names = self.kubetui_themes or sorted(self.available_themes)
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2)
        self.refresh_views(force=True)

    # -- clock and refresh ---------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _INPUT_EVENTS):
            self._input_at = time.monotonic()
        await super().on_event(event)

    async def _drive_clock(self) -> None:
        """Run the engine in small slices, yielding to keys and frames between them, so a busy cluster
        slows its virtual clock rather than the UI; input gets the loop to itself for a moment."""
        runner = self.runner
        last = time.monotonic()
        while True:
            now = time.monotonic()
            runner.due(now - last)
            last = now
            deadline = now + 1 / TICK_HZ
            while True:
                quiet = self._input_at + INPUT_GRACE - time.monotonic()
                if quiet > 0:
                    await asyncio.sleep(quiet)
                elif runner.run_slice():
                    await asyncio.sleep(max(0.0, deadline - time.monotonic()))
                    break
                else:
                    await asyncio.sleep(0)
                if time.monotonic() >= deadline:
                    break

    def _scheduled_refresh(self) -> None:
        if time.monotonic() - self._input_at >= INPUT_GRACE:  # the answer to a key is painted first
            self.refresh_views()

    def refresh_views(self, force: bool = False) -> None:
        """Pull what changed from the model into the widgets (at most REFRESH_HZ times a second)."""
        if self._swapping or not self.is_running:  # widgets are being replaced, or the app is closing
            return
        dirty = self.model.take_dirty()
        if force:
            dirty = set(RESOURCES)
        now = self.client.now
        second = int(now)
        if dirty & {"nodes", "pods"}:
            self.query_one("#nodes", NodeTree).refresh_nodes()
        pods = self.query_one("#pods", PodList)
        if "pods" in dirty:
            pods.rebuild()
            total = len(self.model.pods())
            shown = f"{len(pods.rows)} of {total}" if pods.filter else f"{total}"
            pods.border_title = f"Pods ({shown})" + (f"  filter: {pods.filter.text}" if pods.filter else "")
            pods.border_subtitle = f"sort: {pods.sort_column}{' ▼' if pods.sort_reverse else ''}"
        elif second != self._shown_second:
            pods.refresh()  # ages and "restarted ... ago" move with the clock
        if dirty & WORKLOAD_KINDS or (dirty & {"pods", "nodes"} and self.model.objects["statefulsets"]):
            self.query_one("#workloads", WorkloadList).refresh_items()
        if "events" in dirty or second != self._shown_second:
            self.query_one("#events", EventsPane).refresh_events()
        if dirty or second != self._shown_second or force:
            self._show_header()
        if self.lesson is not None and self.travel is None:
            passed = self.query_one("#lesson", LessonPane).refresh_lesson(force)
            if passed:
                done = self.lesson.finished
                self.notify(("Lesson complete!" if done else f"Step {passed} passed — on to step {passed + 1}")
                            if self.lang == "en" else ("레슨 완료!" if done else f"{passed}단계 통과 — {passed + 1}단계로"),
                            title="✓", timeout=5)
        self._shown_second = second

    def _show_header(self) -> None:
        runner = self.runner
        control_plane = self.client.control_plane()
        self.query_one("#nodes", NodeTree).show_control_plane(control_plane)
        self.query_one("#header", ClusterHeader).show(self.client.now, runner.speed, runner.paused,
                                                      self.client.store_revision(), self.client.countdowns(),
                                                      runner.actual_speed if runner.lagging else None,
                                                      control_plane_alert(control_plane))

    # -- selection -----------------------------------------------------------------------------

    def on_descendant_focus(self, event) -> None:
        if event.widget.id in ("nodes", "pods", "workloads", "events"):
            self._last_pane = event.widget

    def _selection_pane(self):
        return self.focused if self.focused is not None and self.focused.id in ("nodes", "pods", "workloads") \
            else self._last_pane

    def selection(self) -> tuple | None:
        """("node", name) | ("pod", namespace, name) | ("object", resource, namespace, name) | None."""
        pane = self._selection_pane()
        if pane is None:
            return None
        if pane.id == "pods":
            row = pane.selected_row
            return ("pod", row.namespace, row.name) if row else None
        if pane.id == "nodes":
            data = pane.selected
            if not data:
                return None
            if data[0] == "node":
                return ("node", data[1])
            if data[0] == "pod":
                ns, name = data[1].split("/", 1)
                return ("pod", ns, name)
            return None
        if pane.id == "workloads":
            obj = pane.selected_object
            return ("object", *obj) if obj else None
        return None

    def _need(self, kind: str) -> tuple | None:
        sel = self.selection()
        if sel is None or sel[0] != kind:
            self.notify(f"select a {kind} first", severity="warning", timeout=3)
            return None
        return sel

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in SELECTION_ACTIONS and len(self.screen_stack) > 1:
            return False
        if action == "command_mode" and isinstance(self.screen, ModalScreen):
            return False
        if action in ("toggle_pause", "focus_pane") and isinstance(self.focused, Input):
            return False
        return True

    # -- doing things --------------------------------------------------------------------------

    def _do(self, title: str, message: str, fn: Callable[[], str | None], destructive: bool = True,
            action_label: str = "Yes", confirm: bool = True) -> None:
        """Run `fn` (after confirmation when destructive and confirmations are on); report in a toast."""
        def run(confirmed: bool | None) -> None:
            if not confirmed:
                self.notify(f"cancelled: {title}", timeout=2)
                return
            try:
                result = fn()
            except (ApiError, ValueError, KeyError) as exc:
                self.notify(getattr(exc, "message", None) or str(exc), title=f"{title} failed", severity="error",
                            timeout=8)
                return
            if result:
                self.notify(result, title=title, timeout=4)
            self.refresh_views()

        if destructive and self.confirm and confirm:
            self.push_screen(ConfirmDialog(title, message, action_label), run)
        else:
            run(True)

    def _lease_seconds(self, node: str) -> int | None:
        try:
            lease = self.client.get("leases", node, "kube-node-lease")
        except ApiError:
            return None
        return (lease.get("spec") or {}).get("leaseDurationSeconds")

    def action_kill(self) -> None:
        sel = self.selection()
        if sel is None:
            self.notify("select a node or a pod first", severity="warning", timeout=3)
        elif sel[0] == "node":
            self._kill_node(sel[1])
        elif sel[0] == "pod":
            self._kill_pod(sel[1], sel[2])
        else:
            self.notify("x kills a node or a pod; select one first", severity="warning", timeout=3)

    def _kill_node(self, name: str, confirm: bool = True) -> None:
        lease = self._lease_seconds(name)
        when = f"in ~{lease} s, when its lease expires" if lease else "when its lease expires"
        pods = len(self.model.pods_on(name))
        loss, stalls = self._control_plane_loss(name)
        healing = "" if stalls else (
            f" the control plane will notice {when}, mark it NotReady, taint it, and later evict its {pods} "
            f"pod{'s' if pods != 1 else ''} so their controllers recreate them on other nodes.")
        self._do(f"Power off {name}",
                 f"Power off machine {name}? Its kubelet stops" + (f";{healing}{loss}" if healing else f", and{loss}"),
                 lambda: self.client.kill_node(name) or f"machine {name} powered off", action_label="Power off",
                 confirm=confirm)

    def _control_plane_loss(self, name: str) -> tuple[str, bool]:
        """What powering off `name` does to the control plane (if it is a control-plane machine), and whether
        the control plane then stalls (so nothing notices the machine is gone)."""
        status = self.client.control_plane()
        if not any(h["name"] == name and h["running"] for h in status["hosts"]):
            return "", False
        left = status["running"] - 1
        if left == 0:
            return (" it runs the only running kube-apiserver and etcd member: every API request will be refused "
                    "(nothing notices, nothing heals) until you power it on again (R). Pods on the other "
                    "machines keep running."), True
        if left < status["needed"]:
            return (f" etcd loses quorum ({left} of {status['members']} members up, {status['needed']} needed): "
                    "every write fails and the controllers stall until a member returns."), True
        led = [c for c, host in status["leaders"].items() if host == name]
        if led:
            return (f"\n\nIt leads {', '.join(led)}: a standby on another control-plane machine takes over "
                    "once the lease expires (~15 s)."), False
        return "", False

    def _kill_pod(self, ns: str, name: str, confirm: bool = True) -> None:
        pod = self.model.pods().get(f"{ns}/{name}")
        ref = next((r for r in (pod or {"metadata": {}})["metadata"].get("ownerReferences") or ()
                    if r.get("controller")), None)
        after = (f"Its {ref['kind']} {ref['name']} will create a replacement." if ref
                 else "It has no controller, so nothing replaces it.")
        self._do(f"Delete pod {name}",
                 f"Delete pod {ns}/{name} now (kubectl delete --now: 1 s grace period)? {after}",
                 lambda: self.client.kill_pod(name, ns) and f"pod {ns}/{name} deleted", action_label="Delete",
                 confirm=confirm)

    def action_crash(self) -> None:
        sel = self._need("pod")
        if sel:
            _, ns, name = sel
            self._do(f"Crash {name}",
                     f"Crash the container of pod {ns}/{name}? It exits with an error; the kubelet restarts it "
                     f"(restartPolicy permitting), backing off longer after each crash (CrashLoopBackOff).",
                     lambda: self.client.crash_container(name, ns) or f"container of {ns}/{name} crashed",
                     action_label="Crash")

    def action_restart_node(self) -> None:
        sel = self._need("node")
        if sel:
            name = sel[1]
            self._do(f"Power on {name}", "", lambda: self.client.restart_node(name) or
                     f"machine {name} powered on: its kubelet starts and renews the node lease", destructive=False)

    def action_add_node(self) -> None:
        nodes = self.model.nodes()
        n = 1
        while f"worker-{n}" in nodes:
            n += 1
        name = f"worker-{n}"
        template = next((nodes[k] for k in sorted(nodes) if k.startswith("worker")), None)
        capacity = ((template or {}).get("status") or {}).get("capacity") or {}
        config = NodeConfig(name, cpu=str(capacity.get("cpu", "4")), memory=str(capacity.get("memory", "8Gi")),
                            pods=str(capacity.get("pods", "110")))
        self._do(f"Add {name}", "", lambda: self.client.add_node(config) or
                 f"machine {name} racked and powered on; its kubelet registers the Node", destructive=False)

    def action_cordon(self) -> None:
        sel = self._need("node")
        if sel:
            name = sel[1]
            self._cordon(name, not (self.model.nodes().get(name, {}).get("spec") or {}).get("unschedulable"))

    def _cordon(self, name: str, unschedulable: bool) -> None:
        verb = "cordon" if unschedulable else "uncordon"
        effect = "no new pods will be scheduled there" if unschedulable else "new pods may be scheduled there"
        self._do(f"{verb.capitalize()} {name}", "",
                 lambda: self.client.cordon(name, unschedulable=unschedulable) and f"node/{name} {verb}ed: {effect}",
                 destructive=False)

    def action_drain(self) -> None:
        sel = self._need("node")
        if sel:
            self._drain(sel[1])

    def _drain(self, name: str, confirm: bool = True) -> None:
        pods = len(self.model.pods_on(name))
        self._do(f"Drain {name}",
                 f"Drain node {name}? It is cordoned, then its {pods} pod{'s' if pods != 1 else ''} are evicted "
                 f"(DaemonSet pods stay); their controllers recreate them on other nodes. Pods without a "
                 f"controller make the drain fail instead.",
                 lambda: f"node/{name} drained: evicted {len(self.client.drain(name))} pods",
                 action_label="Drain", confirm=confirm)

    def _workload(self, kinds: tuple[str, ...]) -> tuple[str, str, str] | None:
        """The selected workload of one of `kinds`, or the owner of the selected pod."""
        sel = self.selection()
        target = None
        if sel and sel[0] == "object" and sel[1] in kinds:
            target = sel[1:]
        elif sel and sel[0] == "pod":
            pod = self.model.pods().get(f"{sel[1]}/{sel[2]}")
            owner = self.model.owner_workload(pod) if pod else None
            if owner and owner[0] in kinds:
                target = owner
        if target is None:
            names = "/".join(k[:-1] for k in kinds)
            self.notify(f"select a {names} (or one of its pods) first", severity="warning", timeout=3)
        return target

    def action_scale(self, delta: int) -> None:
        target = self._workload(SCALABLE)
        if target:
            resource, ns, name = target
            obj = self.model.objects[resource].get(f"{ns}/{name}")
            replicas = max(0, ((obj or {}).get("spec") or {}).get("replicas", 1) + delta)
            self._do(f"Scale {resource[:-1]}/{name}", "",
                     lambda: self.client.scale(resource, name, replicas, ns) and
                     f"{resource[:-1]}/{name} scaled to {replicas}", destructive=False)

    def action_rollout_undo(self) -> None:
        target = self._workload(("deployments",))
        if target:
            _, ns, name = target
            self._rollout_undo(ns, name)

    def _rollout_undo(self, ns: str, name: str, to_revision: int = 0, confirm: bool = True) -> None:
        which = f"revision {to_revision}" if to_revision else "its previous revision"
        self._do(f"Roll back {name}",
                 f"Roll back deployment {ns}/{name} to {which}? Its pod template is replaced "
                 f"and a rolling update replaces the pods.",
                 lambda: self.client.rollout_undo(name, ns, to_revision) and f"deployment/{name} rolled back",
                 action_label="Roll back", confirm=confirm)

    # -- scenario directives ------------------------------------------------------------------

    def apply_directive(self, action) -> None:
        """A scenario's set-speed, pause or note (ScenarioRun.on_directive): applied to this screen."""
        if action.action == "set-speed":
            self.runner.speed = action.speed
            self._show_header()
        elif action.action == "pause":
            self.runner.pause()
            self.notify("the scenario paused the clock: space resumes", title="Paused", timeout=4)
            self._show_header()
        elif action.action == "note":
            self.show_caption(localized(action.text, self.lang), action.duration or CAPTION_SECONDS)

    def show_caption(self, text: str, seconds: float) -> None:
        """A caption across the bottom of the screen for `seconds` of wall time (a newer one replaces it)."""
        caption = self.query_one("#caption", Static)
        caption.update(text)
        caption.add_class("visible")
        if self._caption_timer is not None:
            self._caption_timer.stop()
        self._caption_timer = self.set_timer(seconds, self._hide_caption)

    def _hide_caption(self) -> None:
        self._caption_timer = None
        self.query_one("#caption", Static).remove_class("visible")

    # -- clock keys ----------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        self.runner.toggle()
        self._last_wall = time.monotonic()
        self._show_header()

    def action_step(self) -> None:
        self.runner.step(1.0)
        self.refresh_views()

    def action_faster(self) -> None:
        self.notify(f"speed {speed_text(self.runner.faster())}", timeout=1.5)
        self._show_header()

    def action_slower(self) -> None:
        self.notify(f"speed {speed_text(self.runner.slower())}", timeout=1.5)
        self._show_header()

    # -- pod list ------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", FilterInput)
        box.value = self.query_one("#pods", PodList).filter.text
        box.add_class("visible")
        box.focus()

    def on_input_submitted(self, event: FilterInput.Submitted) -> None:
        if event.input.id != "filter":
            return
        pods = self.query_one("#pods", PodList)
        try:
            pods.set_filter(event.value)
        except ValueError as exc:
            self.notify(str(exc), title="Filter", severity="error", timeout=6)
            return
        event.input.remove_class("visible")
        self.model.dirty.add("pods")
        self.refresh_views()
        pods.focus()

    def on_filter_input_cancelled(self, event: FilterInput.Cancelled) -> None:
        box = self.query_one("#filter", FilterInput)
        box.value = ""
        box.remove_class("visible")
        pods = self.query_one("#pods", PodList)
        pods.set_filter("")
        self.model.dirty.add("pods")
        self.refresh_views()
        pods.focus()

    def action_sort(self) -> None:
        pods = self.query_one("#pods", PodList)
        pods.next_sort()
        self.model.dirty.add("pods")
        self.refresh_views()

    def action_sort_reverse(self) -> None:
        pods = self.query_one("#pods", PodList)
        pods.sort_by(pods.sort_column, reverse=not pods.sort_reverse)
        self.model.dirty.add("pods")
        self.refresh_views()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        self._last_pane = event.control

    # -- other screens -------------------------------------------------------------------------

    def _screen(self, module: str):
        return importlib.import_module(f"kubetui.tui.screens.{module}")

    def _open(self, screen) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)

    def action_screen_main(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_screen_network(self) -> None:
        self._open(self._screen("network").NetworkScreen(self.client))

    def action_screen_etcd(self) -> None:
        self._open(self._screen("etcd").EtcdScreen(self.client))

    def action_screen_editor(self) -> None:
        self._open(self._screen("editor").EditorScreen(self.client))

    def action_screen_timeline(self) -> None:
        self._open(self._screen("timeline").TimelineScreen(self.client))

    def action_new_object(self) -> None:
        self._open(self._screen("editor").EditorScreen(self.client, obj=None, template_kind=None))

    def _selected_object(self) -> tuple[str, str, str | None] | None:
        """(resource, name, namespace) of the selection."""
        sel = self.selection()
        if sel is None:
            self.notify("select something first", severity="warning", timeout=3)
            return None
        if sel[0] == "node":
            return "nodes", sel[1], None
        if sel[0] == "pod":
            return "pods", sel[2], sel[1]
        return sel[1], sel[3], sel[2]

    def action_describe(self) -> None:
        target = self._selected_object()
        if target:
            resource, name, ns = target
            self._open(self._screen("describe").DescribeScreen(self.client, resource, name, ns))

    def action_explain(self) -> None:
        sel = self._need("pod")
        if sel:
            self._open(self._screen("explain").ExplainScreen(self.client, sel[2], sel[1]))

    def _selected_node(self, what: str) -> str | None:
        """The selected node: a node line, a control-plane component's node, or a scheduled pod's node."""
        sel = self.selection()
        node = None
        if sel and sel[0] == "node":
            node = sel[1]
        elif sel and sel[0] == "pod":
            node = ((self.model.pods().get(f"{sel[1]}/{sel[2]}") or {}).get("spec") or {}).get("nodeName")
        elif sel is None and (pane := self._selection_pane()) is not None and pane.id == "nodes":
            cursor = pane.cursor_node
            if cursor is not None and cursor.data and cursor.data[0] == "component" and cursor.parent is not None:
                node = cursor.parent.data[1]
        if node is None:
            self.notify("select a node (or a scheduled pod) first", title=what, severity="warning")
        return node

    def _selected_namespace(self) -> str:
        """The namespace of the selected pod or object; `default` for nodes and cluster-scoped objects."""
        sel = self.selection()
        if sel and sel[0] == "pod":
            return sel[1]
        if sel and sel[0] == "object" and sel[2]:
            return sel[2]
        return cmd.DEFAULT_NAMESPACE

    def action_proxy_rules(self) -> None:
        node = self._selected_node("kube-proxy")
        if node:
            self._open(self._screen("proxy").ProxyScreen(self.client, node))

    def action_runtime(self) -> None:
        node = self._selected_node("container runtime")
        if node:
            self._open(self._screen("runtime").RuntimeScreen(self.client, node))

    def action_files(self) -> None:
        sel = self._need("pod")
        if sel:
            self._open(self._screen("files").FilesScreen(self.client, sel[2], sel[1]))

    def action_top(self) -> None:
        sel = self.selection()
        if sel and sel[0] == "node":
            self._open(self._screen("top").TopScreen(self.client, "nodes"))
        else:
            self._open(self._screen("top").TopScreen(self.client, "pods", self._selected_namespace()))

    def action_quota(self) -> None:
        self._open(self._screen("quota").QuotaScreen(self.client, self._selected_namespace()))

    def action_edit(self) -> None:
        target = self._selected_object()
        if target:
            resource, name, ns = target
            try:
                obj = self.client.get(resource, name, ns)
            except ApiError as exc:
                self.notify(exc.message, title="Edit", severity="error")
                return
            self._open(self._screen("editor").EditorScreen(self.client, obj=obj))

    # -- panes and the command line -------------------------------------------------------------

    def action_focus_pane(self, step: int) -> None:
        """Tab on the main screen walks nodes → pods → events → workloads; elsewhere, the focus chain."""
        focused = self.focused
        if len(self.screen_stack) > 1 or focused is None or focused.id not in PANES:
            (self.screen.focus_next if step > 0 else self.screen.focus_previous)()
            return
        self.query_one(f"#{PANES[(PANES.index(focused.id) + step) % len(PANES)]}").focus()

    def action_command_mode(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.query_one("#command", CommandLine).open()

    def on_command_line_closed(self, event: CommandLine.Closed) -> None:
        if len(self.screen_stack) == 1 and (self.focused is None or self.focused.id == "command-input"):
            (self._last_pane or self.query_one("#nodes")).focus()

    async def on_command_line_submitted(self, event: CommandLine.Submitted) -> None:
        line = self.query_one("#command", CommandLine)
        try:
            then = self._prepare(cmd.parse(event.value))
        except cmd.CommandError as exc:
            line.fail(str(exc))
            return
        except ApiError as exc:
            line.fail(f"Error from server ({exc.reason}): {exc.message}")
            return
        line.succeed(event.value)
        if then is not None:
            await then()

    def _prepare(self, command: cmd.Command):
        """Check the command against the cluster and do what can fail (errors keep the typed line); returns
        what is left to do once the command line has closed (an async callable), or None."""
        if isinstance(command, cmd.Get):
            from .screens.get import get_text  # the screen module loads only when first used

            get_text(self.client, command.resource, command.name, command.namespace, command.all_namespaces)
            return self._later(self._screen("get").GetScreen(self.client, command.resource, command.name,
                                                             command.namespace, command.all_namespaces))
        if isinstance(command, cmd.Describe):
            self.client.get(command.resource, command.name, command.namespace)
            return self._later(self._screen("describe").DescribeScreen(self.client, command.resource, command.name,
                                                                       command.namespace))
        if isinstance(command, cmd.Scale):
            self.client.scale(command.resource, command.name, command.replicas, command.namespace)
            return self._say(f"{kinds.by_plural(command.resource).singular}/{command.name} scaled to "
                             f"{command.replicas}", "Scale")
        if isinstance(command, cmd.Delete):
            return self._prepare_delete(command)
        if isinstance(command, cmd.Apply):
            done = apply_file(self.client, self._lesson_path(command.path))
            return self._say("applied " + ", ".join(done), "Apply")
        if isinstance(command, cmd.Kill):
            if command.what == "node":
                self._require_node(command.name)
                return self._run(lambda: self._kill_node(command.name, command.confirm))
            self.client.get("pods", command.name, command.namespace)
            return self._run(lambda: self._kill_pod(command.namespace, command.name, command.confirm))
        if isinstance(command, cmd.Cordon):
            self._require_node(command.node)
            return self._run(lambda: self._cordon(command.node, command.unschedulable))
        if isinstance(command, cmd.Drain):
            self._require_node(command.node)
            return self._run(lambda: self._drain(command.node, command.confirm))
        if isinstance(command, cmd.RolloutUndo):
            self.client.get("deployments", command.name, command.namespace)
            return self._run(lambda: self._rollout_undo(command.namespace, command.name, command.to_revision,
                                                        command.confirm))
        if isinstance(command, cmd.Proxy):
            self._require_node(command.node)
            return self._later(self._screen("proxy").ProxyScreen(self.client, command.node))
        if isinstance(command, cmd.Crictl):
            self._require_node(command.node)
            return self._later(self._screen("runtime").RuntimeScreen(self.client, command.node))
        if isinstance(command, cmd.Top):
            if command.what == "pods":
                self.client.get("namespaces", command.namespace)
            return self._later(self._screen("top").TopScreen(self.client, command.what, command.namespace))
        if isinstance(command, cmd.Files):
            self.client.get("pods", command.pod, command.namespace)
            return self._later(self._screen("files").FilesScreen(self.client, command.pod, command.namespace))
        if isinstance(command, cmd.Quota):
            self.client.get("namespaces", command.namespace)
            return self._later(self._screen("quota").QuotaScreen(self.client, command.namespace))
        if isinstance(command, cmd.Exec):
            output = self.client.exec(command.pod, list(command.argv), command.namespace, command.container)
            return self._say(output.rstrip() or f"exec {' '.join(command.argv)}: done", f"exec {command.pod}")
        if isinstance(command, cmd.Traffic):
            if command.stop:
                self.client.traffic_stop(command.name)
                return self._say(f"traffic {command.name} stopped", "Traffic")
            self.client.traffic_start(command.name, command.target, command.rate)
            return self._later(self._screen("network").NetworkScreen(self.client))
        if isinstance(command, cmd.Load):
            return self._prepare_load(command.scenario)
        if isinstance(command, cmd.Speed):
            self.runner.speed = command.value
            self._show_header()
            return self._say(f"speed {speed_text(self.runner.speed)}", None)
        if isinstance(command, cmd.Theme):
            if command.name not in self.available_themes:
                raise cmd.CommandError(f'no theme "{command.name}"; themes: '
                                       + ", ".join(self.kubetui_themes or sorted(self.available_themes)))
            self.theme = command.name
            self.refresh_views(force=True)
            return self._say(f"theme: {command.name}", None)
        if isinstance(command, cmd.Quit):
            return self._run(self.exit)
        raise cmd.CommandError(f"{command} is not handled")

    def _require_node(self, name: str) -> None:
        if name not in self.model.nodes():
            raise cmd.CommandError(f'no node "{name}"; nodes: ' + ", ".join(sorted(self.model.nodes())))

    @staticmethod
    def _run(fn: Callable[[], object]):
        async def later() -> None:
            fn()
        return later

    def _later(self, screen):
        return self._run(lambda: self._open(screen))

    def _say(self, message: str, title: str | None):
        def say() -> None:
            self.notify(message, title=title or "", timeout=4)
            self.refresh_views()
        return self._run(say)

    def _prepare_delete(self, command: cmd.Delete):
        kind = kinds.by_plural(command.resource)
        self.client.get(command.resource, command.name, command.namespace)
        where = f"{command.namespace}/" if command.namespace else ""
        if kind.plural == "pods" and command.grace_period == 0:
            after = ("It is removed from the API at once, without waiting for its kubelet to confirm the containers "
                     "stopped: they may go on running on an unreachable node.")
        elif kind.plural == "pods":
            after = "It terminates gracefully; a controller that owns it creates a replacement."
        else:
            after = "Objects it owns are deleted by the garbage collector."
        return self._run(lambda: self._do(
            f"Delete {kind.singular} {command.name}", f"Delete {kind.singular} {where}{command.name}? {after}",
            lambda: self.client.delete(command.resource, command.name, command.namespace,
                                       grace_period_seconds=command.grace_period) and
            f"{kind.singular}/{command.name} {'force ' if command.grace_period == 0 else ''}deleted",
            action_label="Delete", confirm=command.confirm))

    def _lesson_path(self, path: str) -> str:
        """A relative path that is not in the working folder is looked up next to the scenario (lesson files)."""
        given = Path(path).expanduser()
        if not given.is_absolute() and not given.exists() and self.scenario_dir is not None \
                and (self.scenario_dir / given).exists():
            return str(self.scenario_dir / given)
        return path

    def _prepare_load(self, name: str):
        from ..cli import UnknownScenario, resolve_scenario  # the command line sits above the TUI
        from ..scenario.runner import start

        if self.scenario_lock:
            raise cmd.CommandError(f"load: {self.scenario_lock}")

        try:
            run = start(load_scenario(resolve_scenario(name)))
        except (ScenarioError, UnknownScenario) as exc:
            raise cmd.CommandError(str(exc)) from None

        async def swap() -> None:
            await self.load_run(run)
            self.notify(f"scenario {run.loaded.name} loaded", title="Load", timeout=4)
        return swap

    async def load_run(self, run) -> None:
        """Replace the running cluster with a started ScenarioRun: new client, model and runner, fresh panes."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.travel = None
        self.runner = LiveRunner(run.client, speed=self.runner.speed, paused=self.runner.paused)
        self.scenario_name = run.loaded.name
        self.scenario_dir = run.base_dir
        self.lesson = lesson_for(run, self.lang)
        self._live_client = run.client
        run.on_directive = self.apply_directive
        await self._show(run.client)

    async def _show(self, client) -> None:
        """Point every pane at `client` (the live cluster or a past revision of it) and rebuild them."""
        history = self.query_one("#command", CommandLine).history
        self.model.close()
        self.client = client
        self.model = ClusterModel(client)
        self._last_pane = None
        self._shown_second = -1
        self._swapping = True
        try:
            await self.recompose()
        finally:
            self._swapping = False
        self.query_one("#command", CommandLine).history = history
        self._init_panes()

    # -- lessons -------------------------------------------------------------------------------

    def action_toggle_lesson(self) -> None:
        if self.lesson is None:
            self.notify("this scenario has no lesson (try :load lesson-01-pods)", severity="warning", timeout=3)
            return
        pane = self.query_one("#lesson", LessonPane)
        pane.display = not pane.display

    def action_hint(self) -> None:
        if self.lesson is None:
            self.notify("this scenario has no lesson", severity="warning", timeout=3)
            return
        pane = self.query_one("#lesson", LessonPane)
        pane.display = True
        if pane.show_hint() is None:
            self.notify("no more hints for this step" if self.lang == "en" else "이 단계의 힌트는 여기까지입니다",
                        timeout=3)

    # -- time travel ---------------------------------------------------------------------------

    async def action_time_travel(self) -> None:
        """Open the scrubber at the live revision and pause the clock; arrows move the panes into the past."""
        if self.travel is not None:
            self.query_one("#travel", TimeTravelBar).focus()
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._paused_before_travel = self.runner.paused
        self.runner.pause()
        self.travel = self._live_client.cluster.store.revision
        bar = TimeTravelBar(self._live_client.cluster.store, self.travel,
                            self._live_client.cluster.profile.compaction_interval, id="travel")
        await self.mount(bar, before=self.query_one(Footer))
        bar.focus()
        self.refresh_views(force=True)

    async def on_time_travel_bar_moved(self, message: TimeTravelBar.Moved) -> None:
        if message.revision is None:
            self.travel = None
            await self._show(self._live_client)
            if not self._paused_before_travel:
                self.runner.resume()
            self.notify("back to the live cluster", timeout=2)
            return
        self.travel = message.revision
        await self._show(ClusterAt(self._live_client, message.revision))
        self.query_one("#travel", TimeTravelBar).focus()

    # -- help ----------------------------------------------------------------------------------

    def help_rows(self) -> list[tuple[str, str, str]]:
        """(key, binding id, description) for every app binding, with user remaps applied."""
        return [(keys.effective_key(b, self.user_keymap), b.id, keys.describe(b)) for b in keys.BINDINGS]

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_rows(), HELP_NOTES))


class CompletionNames:
    """What the command line completes, read from the app's current model and client."""

    def __init__(self, app: KubetuiApp):
        self.app = app

    def names(self, resource: str, namespace: str | None) -> list[str]:
        objects = self.app.model.objects.get(resource)
        if objects is not None and resource != "events":
            if namespace is None:
                return list(objects)
            prefix = namespace + "/"
            return [key[len(prefix):] for key in objects if key.startswith(prefix)]
        try:
            return [obj["metadata"]["name"] for obj in self.app.client.list(resource, namespace)]
        except ApiError:
            return []

    def namespaces(self) -> list[str]:
        return self.names("namespaces", None)

    def themes(self) -> list[str]:
        return sorted(self.app.available_themes)

    def scenarios(self) -> list[str]:
        return sorted({p.stem for _, folder in scenario_folders() for p in folder.glob("*.yaml")})


def apply_file(client, path: str) -> list[str]:
    """`kubectl apply -f FILE` for every document (and List item); returns `kind/name` of each applied object.
    Raises CommandError naming file, line and field of the first problem (objects before it stay applied)."""
    from .screens.editor import error_fields, field_path

    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise cmd.CommandError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise cmd.CommandError(f"{path}: cannot read: {exc}") from None
    try:
        docs = [d for d in load_documents(text, path) if d.data is not None]
    except SourceError as exc:
        raise cmd.CommandError(f"{exc.filename}:{exc.line}:{exc.column}: {exc.message}") from None
    if not docs:
        raise cmd.CommandError(f"{path}: no YAML document to apply")
    done: list[str] = []
    for doc in docs:
        items = [(doc.data, ())]
        if isinstance(doc.data, dict) and str(doc.data.get("kind", "")).endswith("List") \
                and isinstance(doc.data.get("items"), list):
            items = [(item, ("items", i)) for i, item in enumerate(doc.data["items"])]
        for obj, at in items:
            if not isinstance(obj, dict):
                raise cmd.CommandError(f"{path}:{doc.line_of(at)}: expected a Kubernetes object (a mapping)")
            try:
                result = client.apply(obj, (obj.get("metadata") or {}).get("namespace"))
            except ApiError as exc:
                what = f"{obj.get('kind', '?')} {(obj.get('metadata') or {}).get('name', '')}".strip()
                before = f"applied {', '.join(done)}; then " if done else ""
                fields = error_fields(exc)
                if not fields:
                    raise cmd.CommandError(f"{before}{path}:{doc.line_of(at)}: {what}: {exc.message}") from None
                problems = [f"{path}:{doc.line_of((*at, *field_path(field)))}: {field}: {message}"
                            for field, message in fields]
                raise cmd.CommandError(f"{before}{what}: {exc.reason}\n" + "\n".join(problems)) from None
            done.append(f"{kinds.for_object(result).singular}/{result['metadata']['name']}")
    return done


def lesson_for(run, lang: str) -> LessonProgress | None:
    lesson = run.loaded.scenario.spec.lesson
    return LessonProgress(run, lesson, lang) if lesson is not None else None


def run_tui(run, speed: float = 1.0, paused: bool = False, theme: str | None = None, confirm: bool = True,
            recorder=None, recording=None, lang: str = "en") -> int:
    """Open the TUI on a started ScenarioRun (from kubetui.scenario.runner.start); returns the exit code.
    With a `recorder` (kubetui.recording) the user's actions are recorded; with a `recording` they are replayed."""
    gcpolicy.interactive()
    app = build_app(run, speed, paused, theme, confirm, recorder, recording, lang=lang)
    try:
        app.run()
    finally:
        if recorder is not None:
            recorder.close(run.log)
    return app.return_code or 0


def build_app(run, speed: float = 1.0, paused: bool = False, theme: str | None = None, confirm: bool = True,
              recorder=None, recording=None, live: bool = True, lang: str = "en") -> KubetuiApp:
    client = run.client
    if recording is not None:
        client = ReplayingClient(run.client, recording)
        runner = LiveRunner(client, speed=speed, paused=paused)
        client.on_directive = lambda name, value: replay_directive(runner, name, value)
    elif recorder is not None:
        client = RecordingClient(run.client, recorder)
        runner = RecordingRunner(run.client, recorder, speed=speed, paused=paused)
    else:
        runner = LiveRunner(client, speed=speed, paused=paused)
    app = KubetuiApp(client, runner, run.loaded.name, confirm=confirm, theme=theme, live=live)
    app.scenario_dir = run.base_dir
    app.lang = lang
    app.lesson = lesson_for(run, lang)
    run.on_directive = app.apply_directive
    if recorder is not None or recording is not None:
        app.scenario_lock = "not while recording or replaying: the recording holds one scenario"
    return app
