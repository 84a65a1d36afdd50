"""containerd as the kubelet sees it through CRI: images, pod sandboxes with their IPs, and containers."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import zlib
from dataclasses import dataclass, field
from itertools import count
from typing import Callable

from ..clock import Clock, Timer

RUNTIME_VERSION = "containerd://2.1.4"
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"

SANDBOX_READY = "SANDBOX_READY"
SANDBOX_NOTREADY = "SANDBOX_NOTREADY"
CREATED = "CONTAINER_CREATED"
RUNNING = "CONTAINER_RUNNING"
EXITED = "CONTAINER_EXITED"

# A process that handles SIGTERM is gone about a second later.
SIGTERM_EXIT_SECONDS = 1.0
# Re-pulling an image whose layers are already on disk only fetches the manifest.
REPULL_FRACTION = 0.1


class Timers:
    """Every timer a machine's processes have scheduled, so that cutting the power cancels them all."""

    def __init__(self, clock: Clock):
        self.clock = clock
        # Keyed by a serial number rather than holding the Timer in its own args: a timer that refers to
        # itself is a reference cycle, which only the cyclic GC frees (one per container step).
        self._live: dict[int, Timer] = {}
        self._serial = count()

    def later(self, delay: float, fn: Callable, *args, daemon: bool = False, label: str | None = None) -> Timer:
        serial = next(self._serial)
        timer = self.clock.call_later(delay, self._run, serial, fn, args, daemon=daemon, label=label)
        self._live[serial] = timer
        return timer

    def _run(self, serial: int, fn: Callable, args: tuple) -> None:
        del self._live[serial]
        fn(*args)

    def cancel_all(self) -> None:
        for timer in self._live.values():
            timer.cancel()
        self._live.clear()


# -- images ------------------------------------------------------------------------------------

def normalize_image(image: str) -> str:
    """containerd's fully qualified name: `nginx:1.25` → `docker.io/library/nginx:1.25`."""
    name, at, digest = image.partition("@")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        domain, path = first, rest
    else:
        domain, path = "docker.io", name
        if "/" not in path:
            path = "library/" + path
    if at:
        return f"{domain}/{path}@{digest}"
    last = path.rsplit("/", 1)[-1]
    if ":" not in last:
        path += ":latest"
    return f"{domain}/{path}"


def repository_of(image: str) -> str:
    """`docker.io/library/nginx:1.25` → `docker.io/library/nginx`."""
    ref = normalize_image(image)
    name = ref.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}"


@dataclass(frozen=True)
class Image:
    ref: str        # fully qualified name with tag
    repo_digest: str  # what kubelet reports as imageID
    size: int


_KNOWN_SIZES = {normalize_image(PAUSE_IMAGE): 320_368}


def image_info(image: str) -> Image:
    """Deterministic digest and size for an image reference (nothing is downloaded)."""
    ref = normalize_image(image)
    digest = hashlib.sha256(ref.encode()).hexdigest()
    size = _KNOWN_SIZES.get(ref) or 5_000_000 + zlib.crc32(ref.encode()) % 195_000_000
    return Image(ref, f"{repository_of(ref)}@sha256:{digest}", size)


# -- what a container's process does -------------------------------------------------------------

@dataclass(frozen=True)
class Program:
    """How a container's main process behaves: how long it runs (None: until stopped), its exit
    code, whether it exits on SIGTERM, and what it prints."""

    duration: float | None = None
    exit_code: int = 0
    obeys_sigterm: bool = True
    output: tuple[str, ...] = ()


_SHELLS = frozenset({"sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash", "/usr/bin/bash"})
# Images whose default command is an interactive shell or language prompt (REPL): without stdin it
# reads end-of-file and exits 0 at once.
_SHELL_IMAGES = frozenset({"busybox", "alpine", "ubuntu", "debian", "centos", "fedora", "bash", "rockylinux",
                           "perl", "python", "ruby", "node"})
# Interpreters and the options that hand them a program on the command line (`perl -e`, `python -c`).
_INTERPRETERS = {"perl": "eE", "python": "c", "ruby": "e", "node": "e"}
# Such a one-liner is taken to finish after this long: the docs' pi Job "takes around 10s to complete".
INLINE_PROGRAM_SECONDS = 10.0
MAX_PI_DIGITS = 4000  # within Python's int-to-str limit (4300 digits), and quick to compute
_BPI_RE = re.compile(r"print\s*\(?\s*bpi\(\s*(\d+)\s*\)")
_QUIET = frozenset({"true", ":", "date", "env", "printenv", "hostname", "cat", "ls", "whoami", "id", "uname",
                    "pwd", "nslookup", "wget", "curl"})
_SLEEP_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def program_of(container: dict) -> Program:
    """Read a container's command: simple shell scripts (`echo`, `sleep N`, `exit N`, `true`,
    `false`) and interpreter one-liners (`perl -e`, `python -c`) run to completion; anything else is
    a server that runs until it is stopped."""
    argv = [str(a) for a in (container.get("command") or [])] + [str(a) for a in (container.get("args") or [])]
    if not argv:
        repo = repository_of(container.get("image") or "").rsplit("/", 1)[-1]
        if repo in _SHELL_IMAGES and not container.get("stdin"):
            return Program(0.0, 0, False)
        return Program()
    pid1 = argv[0].rsplit("/", 1)[-1]
    inline = _inline_program(pid1, argv[1:])
    if inline is not None:
        return inline
    if argv[0] in _SHELLS and len(argv) >= 3 and argv[1] == "-c":
        script = argv[2]
    else:
        script = " ".join(argv)
    ignores_sigterm = (pid1 in ("sh", "bash", "ash", "sleep")) and "trap" not in script
    finite = _run_script(script)
    if finite is None:
        return Program(None, 0, not ignores_sigterm)
    duration, code, output = finite
    return Program(duration, code, not ignores_sigterm, output)


def _inline_program(pid1: str, args: list[str]) -> Program | None:
    """An interpreter given its program on the command line runs it and exits 0. The docs' pi Job
    (`perl -Mbignum=bpi -wle 'print bpi(2000)'`) prints π to that many digits (up to MAX_PI_DIGITS)."""
    interpreter = pid1.rstrip("0123456789.")  # python3.12 -> python, perl5.40.0 -> perl
    flags = _INTERPRETERS.get(interpreter)
    if flags is None:
        return None
    for i, arg in enumerate(args[:-1]):
        opts = arg[1:]
        # bundled switches only (`-wle`), not a value glued to its switch (`-Mfeature=say`)
        if arg.startswith("-") and opts.isalpha() and opts[0] not in "MmIWX" and any(f in opts for f in flags):
            m = _BPI_RE.search(args[i + 1]) if interpreter == "perl" else None
            output = (pi_digits(min(int(m.group(1)), MAX_PI_DIGITS)),) if m else ()
            return Program(INLINE_PROGRAM_SECONDS, 0, True, output)
    return None


def pi_digits(n: int) -> str:
    """π rounded to `n` significant digits, as Math::BigFloat's bpi(n) prints it (Machin's formula
    in integer arithmetic)."""
    if n < 1:
        return ""
    scale = 10 ** (n + 10)

    def arctan_inv(x: int) -> int:
        total = term = scale // x
        k, sign = 3, -1
        while term:
            term //= x * x
            total += sign * (term // k)
            k, sign = k + 2, -sign
        return total

    digits = str((4 * (4 * arctan_inv(5) - arctan_inv(239)) // 10 ** 10 + 5) // 10)
    return f"{digits[0]}.{digits[1:]}" if n > 1 else digits


def _run_script(script: str) -> tuple[float, int, tuple[str, ...]] | None:
    """Duration, exit code and output of a script made only of commands we understand, else None."""
    duration = 0.0
    status = 0
    output: list[str] = []
    for statement in re.split(r"[;\n]", script):
        chain_ok = True
        for part in statement.split("&&"):
            words = part.split()
            if not words:
                continue
            if not chain_ok:
                break
            cmd, args = words[0], words[1:]
            if cmd == "exit":
                code = int(args[0]) if args and args[0].isdigit() else status
                return duration, code, tuple(output)
            if cmd == "sleep":
                m = _SLEEP_RE.match(args[0]) if len(args) == 1 else None
                if m is None:
                    return None
                duration += float(m.group(1)) * _UNIT[m.group(2)]
                status = 0
            elif cmd in ("echo", "printf"):
                output.append(" ".join(a.strip("'\"") for a in args if a != "-n"))
                status = 0
            elif cmd == "false":
                status = 1
            elif cmd in _QUIET:
                status = 0
            else:
                return None
            chain_ok = status == 0
    return duration, status, tuple(output)


# -- CRI objects -----------------------------------------------------------------------------------

@dataclass(eq=False)
class Sandbox:
    id: str
    pod_uid: str
    namespace: str
    pod_name: str
    attempt: int
    ip: str | None
    created_at: float
    state: str = SANDBOX_READY
    network_up: bool = False  # CNI ADD done and not yet undone: the IP is reserved

    @property
    def ready(self) -> bool:
        return self.state == SANDBOX_READY


@dataclass(eq=False)
class Container:
    id: str
    sandbox_id: str
    pod_uid: str
    namespace: str
    pod_name: str
    name: str
    image: Image
    attempt: int
    program: Program
    created_at: float
    state: str = CREATED
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    reason: str = ""
    message: str = ""
    logs: list[str] = field(default_factory=list)
    exit_timer: Timer | None = None


@dataclass(frozen=True)
class ContainerView:
    """One row of `crictl ps -a` / `crictl pods` for the UI."""

    id: str
    namespace: str
    pod: str
    name: str
    image: str
    state: str            # Ready / NotReady for sandboxes; Created / Running / Exited for containers
    attempt: int
    created_at: float
    sandbox: bool
    exit_code: int | None = None
    ip: str | None = None


class _HostLocalIPAM:
    """The host-local CNI IPAM plugin: addresses from the node's podCIDR, handed out round-robin
    after the last one reserved (so a re-created pod gets a new IP)."""

    def __init__(self, cidr: str):
        self.cidr = cidr
        net = ipaddress.ip_network(cidr)
        self._base = int(net.network_address)
        self._first = 2                       # .0 is the network, .1 the bridge gateway
        self._last = net.num_addresses - 2    # the broadcast address is not used
        self._next = self._first
        self._used: set[int] = set()

    def allocate(self) -> str | None:
        span = self._last - self._first + 1
        for i in range(span):
            offset = self._first + (self._next - self._first + i) % span
            if offset not in self._used:
                self._used.add(offset)
                self._next = offset + 1 if offset < self._last else self._first
                return str(ipaddress.ip_address(self._base + offset))
        return None

    def release(self, ip: str) -> None:
        self._used.discard(int(ipaddress.ip_address(ip)) - self._base)


class ContainerRuntime:
    """The node's container runtime. Runs nothing: containers are records whose state changes on
    the virtual clock. Reports every container exit to `on_exit` (the kubelet's PLEG)."""

    def __init__(self, clock: Clock, rng, timers: Timers):
        self.clock = clock
        self.rng = rng
        self.timers = timers
        self.on_exit: Callable[[Container], None] | None = None
        self.images: dict[str, Image] = {}
        self.sandboxes: dict[str, Sandbox] = {}
        self._sandboxes_by_pod: dict[str, list[Sandbox]] = {}
        self.containers_by_id: dict[str, Container] = {}
        self._by_pod: dict[str, list[Container]] = {}
        self._ipam: _HostLocalIPAM | None = None
        self.images_version = 0
        self.store_image(PAUSE_IMAGE)

    def _new_id(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    # -- images --------------------------------------------------------------------------------

    def image_present(self, image: str) -> bool:
        return normalize_image(image) in self.images

    def store_image(self, image: str) -> Image:
        info = image_info(image)
        if info.ref not in self.images:
            self.images[info.ref] = info
            self.images_version += 1
        return info

    def pull_seconds(self, image: str, base: float) -> float:
        return base * REPULL_FRACTION if self.image_present(image) else base

    # -- sandboxes -----------------------------------------------------------------------------

    def run_pod_sandbox(self, uid: str, namespace: str, name: str, attempt: int, pod_cidr: str | None,
                        host_ip: str | None) -> Sandbox:
        """RunPodSandbox: start the pause container and set up networking (CNI ADD), or share the
        node's network namespace when `host_ip` is given (hostNetwork pods)."""
        ip = host_ip
        network_up = False
        if ip is None and pod_cidr is not None:
            if self._ipam is None or self._ipam.cidr != pod_cidr:
                self._ipam = _HostLocalIPAM(pod_cidr)
            ip = self._ipam.allocate()
            network_up = ip is not None
        sandbox = Sandbox(self._new_id(), uid, namespace, name, attempt, ip, self.clock.now, network_up=network_up)
        self.sandboxes[sandbox.id] = sandbox
        self._sandboxes_by_pod.setdefault(uid, []).append(sandbox)
        return sandbox

    def stop_pod_sandbox(self, sandbox: Sandbox) -> None:
        """StopPodSandbox: tear down networking (CNI DEL frees the IP) and stop the pause container."""
        if sandbox.network_up and self._ipam is not None:
            self._ipam.release(sandbox.ip)
        sandbox.network_up = False
        sandbox.state = SANDBOX_NOTREADY

    def remove_pod_sandbox(self, sandbox: Sandbox) -> None:
        self.stop_pod_sandbox(sandbox)
        self.sandboxes.pop(sandbox.id, None)
        siblings = self._sandboxes_by_pod.get(sandbox.pod_uid)
        if siblings is not None and sandbox in siblings:
            siblings.remove(sandbox)
            if not siblings:
                del self._sandboxes_by_pod[sandbox.pod_uid]

    def remove_pod(self, uid: str) -> None:
        """RemovePodSandbox for every sandbox of a pod, with its containers."""
        for sandbox in self.pod_sandboxes(uid):
            self.remove_pod_sandbox(sandbox)
        for c in self._by_pod.pop(uid, ()):
            if c.exit_timer is not None:
                c.exit_timer.cancel()
            self.containers_by_id.pop(c.id, None)

    def pod_sandboxes(self, uid: str) -> list[Sandbox]:
        return list(self._sandboxes_by_pod.get(uid, ()))

    def pod_uids(self) -> set[str]:
        return set(self._sandboxes_by_pod) | set(self._by_pod)

    # -- containers ----------------------------------------------------------------------------

    def create_container(self, sandbox: Sandbox, name: str, image: str, attempt: int, program: Program) -> Container:
        c = Container(self._new_id(), sandbox.id, sandbox.pod_uid, sandbox.namespace, sandbox.pod_name, name,
                      self.images.get(normalize_image(image)) or image_info(image), attempt, program, self.clock.now)
        self.containers_by_id[c.id] = c
        self._by_pod.setdefault(sandbox.pod_uid, []).append(c)
        return c

    def start_container(self, c: Container) -> None:
        c.state = RUNNING
        c.started_at = self.clock.now
        c.logs.extend(c.program.output)
        if c.program.duration is not None:
            # The workload's own doing, not pending cluster work: it does not keep run_until_idle going.
            c.exit_timer = self.timers.later(c.program.duration, self.exit_container, c, c.program.exit_code,
                                             daemon=True)

    def exit_container(self, c: Container, exit_code: int, reason: str | None = None, message: str = "") -> None:
        """The container's main process ended."""
        if c.state != RUNNING:
            return
        if c.exit_timer is not None:
            c.exit_timer.cancel()
            c.exit_timer = None
        c.state = EXITED
        c.finished_at = self.clock.now
        c.exit_code = exit_code
        c.reason = reason or ("Completed" if exit_code == 0 else "Error")
        c.message = message
        if self.on_exit is not None:
            self.on_exit(c)

    def stop_container(self, c: Container, timeout: float) -> None:
        """StopContainer: SIGTERM, then SIGKILL (exit 137) when `timeout` runs out."""
        if c.state != RUNNING:
            return
        if c.exit_timer is not None:
            c.exit_timer.cancel()
        if c.program.obeys_sigterm:
            c.exit_timer = self.timers.later(min(timeout, SIGTERM_EXIT_SECONDS), self.exit_container, c, 0)
        else:
            c.exit_timer = self.timers.later(timeout, self.exit_container, c, 137)

    def pod_containers(self, uid: str) -> list[Container]:
        return list(self._by_pod.get(uid, ()))

    def remove_container(self, c: Container) -> None:
        self.containers_by_id.pop(c.id, None)
        siblings = self._by_pod.get(c.pod_uid)
        if siblings and c in siblings:
            siblings.remove(c)

    # -- power -----------------------------------------------------------------------------------

    def halt(self) -> None:
        """The machine lost power: every process dies at once. containerd's records survive on disk
        (exited, code 255, reason Unknown); images stay; IPs stay reserved until the sandboxes are removed."""
        now = self.clock.now
        for c in self.containers_by_id.values():
            c.exit_timer = None
            if c.state in (RUNNING, CREATED):
                c.state = EXITED
                c.finished_at = now
                c.exit_code = 255
                c.reason = "Unknown"
        for s in self.sandboxes.values():
            s.state = SANDBOX_NOTREADY

    # -- views -----------------------------------------------------------------------------------

    def containers(self) -> list[ContainerView]:
        """Sandboxes (pause containers) and containers, grouped by pod, oldest first."""
        rows = []
        for s in self.sandboxes.values():
            rows.append(ContainerView(s.id, s.namespace, s.pod_name, "POD", PAUSE_IMAGE,
                                      "Ready" if s.ready else "NotReady", s.attempt, s.created_at, True, ip=s.ip))
        for c in self.containers_by_id.values():
            state = {CREATED: "Created", RUNNING: "Running", EXITED: "Exited"}[c.state]
            rows.append(ContainerView(c.id, c.namespace, c.pod_name, c.name, c.image.ref, state, c.attempt,
                                      c.created_at, False, c.exit_code))
        rows.sort(key=lambda r: (r.namespace, r.pod, not r.sandbox, r.created_at, r.name))
        return rows
