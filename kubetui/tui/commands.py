"""The `:` command language, free of any UI: parse a line into a typed command, and complete a partial line."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import Protocol

from ..engine.api import kinds
from ..engine.api.errors import ApiError
from ..engine.traffic import stream_name
from ..live import MAX_SPEED, MIN_SPEED


class CommandError(ValueError):
    """What is wrong with a command line, in words for the user."""


@dataclass(frozen=True)
class Get:
    resource: str  # plural
    name: str | None = None
    namespace: str | None = None  # None: cluster-scoped kind, or every namespace with all_namespaces
    all_namespaces: bool = False


@dataclass(frozen=True)
class Describe:
    resource: str
    name: str
    namespace: str | None = None


@dataclass(frozen=True)
class Scale:
    resource: str
    name: str
    replicas: int
    namespace: str | None = None


@dataclass(frozen=True)
class Delete:
    resource: str
    name: str
    namespace: str | None = None
    confirm: bool = True
    grace_period: int | None = None  # --grace-period; --force means 0


@dataclass(frozen=True)
class Apply:
    path: str


@dataclass(frozen=True)
class Kill:
    what: str  # "node" | "pod"
    name: str
    namespace: str | None = None
    confirm: bool = True


@dataclass(frozen=True)
class Cordon:
    node: str
    unschedulable: bool = True


@dataclass(frozen=True)
class Drain:
    node: str
    confirm: bool = True


@dataclass(frozen=True)
class RolloutUndo:
    name: str
    namespace: str | None = None
    to_revision: int = 0
    confirm: bool = True


@dataclass(frozen=True)
class Load:
    scenario: str


@dataclass(frozen=True)
class Speed:
    value: float


@dataclass(frozen=True)
class Theme:
    name: str


@dataclass(frozen=True)
class Quit:
    pass


@dataclass(frozen=True)
class Proxy:
    node: str


@dataclass(frozen=True)
class Exec:
    pod: str
    argv: tuple[str, ...]
    namespace: str = "default"
    container: str | None = None


@dataclass(frozen=True)
class Traffic:
    target: str          # a URL or a Service; empty when stopping
    rate: int = 10
    name: str = ""
    stop: bool = False


Command = (Get | Describe | Scale | Delete | Apply | Kill | Cordon | Drain | RolloutUndo | Proxy | Traffic | Exec | Load
           | Speed | Theme | Quit)

DEFAULT_NAMESPACE = "default"
USAGE = {
    "get": "get RESOURCE [NAME] [-n NS | -A]",
    "describe": "describe RESOURCE NAME [-n NS]",
    "scale": "scale RESOURCE/NAME --replicas=N [-n NS]   (or: scale deploy web 3)",
    "delete": "delete RESOURCE NAME [-n NS] [--no-confirm]",
    "apply": "apply -f FILE",
    "kill": "kill node NAME | kill pod NAME [-n NS] [--no-confirm]",
    "cordon": "cordon NODE",
    "uncordon": "uncordon NODE",
    "drain": "drain NODE [--no-confirm]",
    "rollout": "rollout undo deployment/NAME [-n NS] [--to-revision=N] [--no-confirm]",
    "proxy": "proxy NODE   (the Service rules kube-proxy programs there)",
    "traffic": "traffic URL|SERVICE[:PORT] [--rate N] [--name NAME] | traffic stop NAME",
    "exec": "exec POD [-n NS] [-c CONTAINER] -- write PATH TEXT | cat PATH | ls [PATH] | rm PATH",
    "load": "load SCENARIO   (a bundled scenario name or a file)",
    "speed": f"speed X   ({MIN_SPEED:g} to {MAX_SPEED:g})",
    "theme": "theme NAME",
    "quit": "quit",
}
COMMANDS = tuple(USAGE)
ALIASES = {"q": "quit", "q!": "quit", "exit": "quit"}
# Resource words offered by completion: plurals and kubectl's short names.
RESOURCE_WORDS = sorted({k.plural for k in kinds.KINDS} | {s for k in kinds.KINDS for s in k.short_names})
SCALABLE = ("deployments", "replicasets", "replicationcontrollers", "statefulsets")
SPEEDS = ("0.25", "0.5", "1", "2", "5", "10", "20", "50")

# Flags per command: name -> (destination, takes a value).
_NS = {"-n": ("namespace", True), "--namespace": ("namespace", True)}
_NO_CONFIRM = {"--no-confirm": ("no_confirm", False)}
FLAGS: dict[str, dict[str, tuple[str, bool]]] = {
    "get": {**_NS, "-A": ("all_namespaces", False), "--all-namespaces": ("all_namespaces", False)},
    "describe": dict(_NS),
    "scale": {**_NS, "--replicas": ("replicas", True)},
    "delete": {**_NS, **_NO_CONFIRM, "--force": ("force", False), "--grace-period": ("grace_period", True)},
    "apply": {"-f": ("filename", True), "--filename": ("filename", True)},
    "kill": {**_NS, **_NO_CONFIRM},
    "cordon": {},
    "uncordon": {},
    "drain": dict(_NO_CONFIRM),
    "rollout": {**_NS, **_NO_CONFIRM, "--to-revision": ("to_revision", True)},
    "proxy": {},
    "traffic": {"--rate": ("rate", True), "--name": ("name", True)},
    "exec": {**_NS, "-c": ("container", True), "--container": ("container", True)},
    "load": {},
    "speed": {},
    "theme": {},
    "quit": {},
}


def command_name(word: str) -> str | None:
    word = ALIASES.get(word, word)
    return word if word in USAGE else None


def parse(text: str) -> Command:
    """The command a line asks for; raises CommandError saying what is wrong (and how to write it)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise CommandError(f"cannot read the line: {exc}") from None
    if not words:
        raise CommandError("type a command: " + ", ".join(COMMANDS))
    name = command_name(words[0])
    if name is None:
        raise CommandError(f'unknown command "{words[0]}"; commands: {", ".join(COMMANDS)}')
    args, flags = _split_flags(name, words[1:])
    try:
        return _PARSERS[name](args, flags)
    except CommandError as exc:
        raise CommandError(f"{exc}   usage: {USAGE[name]}") from None


def _split_flags(command: str, words: list[str]) -> tuple[list[str], dict[str, str | bool]]:
    known = FLAGS[command]
    args: list[str] = []
    flags: dict[str, str | bool] = {}
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":  # kubectl's end of flags: the rest is the command to run
            flags["command"] = words[i:]
            break
        if not word.startswith("-") or word == "-" or _is_number(word):
            args.append(word)
            continue
        flag, eq, value = word.partition("=")
        if flag not in known and flag[:2] in known and not flag.startswith("--"):
            flag, value, eq = flag[:2], flag[2:], "="  # -ndefault, -fweb.yaml
        if flag not in known:
            choices = ", ".join(sorted(known)) or "none"
            raise CommandError(f'unknown flag "{flag}" for {command} (its flags: {choices})   usage: {USAGE[command]}')
        dest, takes_value = known[flag]
        if takes_value:
            if not eq:
                if i >= len(words):
                    raise CommandError(f"{flag} needs a value   usage: {USAGE[command]}")
                value = words[i]
                i += 1
            if not value:
                raise CommandError(f"{flag} needs a value   usage: {USAGE[command]}")
            flags[dest] = value
        elif eq:
            raise CommandError(f"{flag} takes no value   usage: {USAGE[command]}")
        else:
            flags[dest] = True
    return args, flags


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _kind(word: str) -> kinds.Kind:
    try:
        return kinds.resolve(word)
    except ApiError:
        raise CommandError(f'unknown resource type "{word}" (e.g. pods, deploy, svc, nodes, rs, ing)') from None


def _namespace(kind: kinds.Kind, flags: dict) -> str | None:
    if not kind.namespaced:
        return None
    return str(flags.get("namespace") or DEFAULT_NAMESPACE)


def _target(args: list[str], command: str, need_name: bool) -> tuple[kinds.Kind, str | None, list[str]]:
    """RESOURCE NAME or RESOURCE/NAME at the start of args -> (kind, name, remaining args)."""
    if not args:
        raise CommandError(f"{command} needs a resource type")
    first, rest = args[0], args[1:]
    if "/" in first:
        resource, _, name = first.partition("/")
        if not name:
            raise CommandError(f'"{first}" names no object after the "/"')
        return _kind(resource), name, rest
    kind = _kind(first)
    if rest:
        return kind, rest[0], rest[1:]
    if need_name:
        raise CommandError(f"{command} needs the name of the {kind.singular}")
    return kind, None, rest


def _no_more(args: list[str]) -> None:
    if args:
        raise CommandError(f'unexpected "{" ".join(args)}"')


def _get(args, flags) -> Get:
    kind, name, rest = _target(args, "get", need_name=False)
    _no_more(rest)
    all_ns = bool(flags.get("all_namespaces"))
    if all_ns and flags.get("namespace"):
        raise CommandError("use either -n NS or -A, not both")
    return Get(kind.plural, name, None if all_ns else _namespace(kind, flags), all_ns and kind.namespaced)


def _describe(args, flags) -> Describe:
    kind, name, rest = _target(args, "describe", need_name=True)
    _no_more(rest)
    return Describe(kind.plural, name, _namespace(kind, flags))


def _replicas(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f'replicas must be a whole number, got "{text}"') from None
    if value < 0:
        raise CommandError(f"replicas must be 0 or more, got {value}")
    return value


def _scale(args, flags) -> Scale:
    kind, name, rest = _target(args, "scale", need_name=True)
    if kind.plural not in SCALABLE:
        raise CommandError(f"{kind.plural} cannot be scaled (scalable: deployments, replicasets, "
                           f"replicationcontrollers, statefulsets)")
    if "replicas" in flags and rest:
        raise CommandError("give the replica count once: --replicas=N or a trailing number")
    if "replicas" in flags:
        replicas = _replicas(str(flags["replicas"]))
    elif len(rest) == 1:
        replicas = _replicas(rest[0])
        rest = []
    else:
        raise CommandError("scale needs a replica count (--replicas=N)")
    _no_more(rest)
    return Scale(kind.plural, name, replicas, _namespace(kind, flags))


def _delete(args, flags) -> Delete:
    kind, name, rest = _target(args, "delete", need_name=True)
    _no_more(rest)
    grace = None
    if "grace_period" in flags:
        text = str(flags["grace_period"])
        try:
            grace = int(text)
        except ValueError:
            raise CommandError(f'--grace-period must be a whole number of seconds, got "{text}"') from None
    if flags.get("force"):
        if grace not in (None, 0):
            raise CommandError("--force needs --grace-period=0 (or no --grace-period)")
        grace = 0
    return Delete(kind.plural, name, _namespace(kind, flags), confirm=not flags.get("no_confirm"), grace_period=grace)


def _apply(args, flags) -> Apply:
    _no_more(args)
    if "filename" not in flags:
        raise CommandError("apply needs -f FILE")
    return Apply(str(flags["filename"]))


def _kill(args, flags) -> Kill:
    if not args:
        raise CommandError("kill needs node NAME or pod NAME")
    if "/" in args[0]:
        what, _, name = args[0].partition("/")
        rest = args[1:]
    else:
        what, name, rest = args[0], (args[1] if len(args) > 1 else ""), args[2:]
    what = {"no": "node", "nodes": "node", "po": "pod", "pods": "pod"}.get(what, what)
    if what not in ("node", "pod"):
        raise CommandError(f'kill takes node or pod, got "{what}"')
    if not name:
        raise CommandError(f"kill {what} needs the name of the {what}")
    _no_more(rest)
    if what == "node" and flags.get("namespace"):
        raise CommandError("nodes have no namespace")
    namespace = str(flags.get("namespace") or DEFAULT_NAMESPACE) if what == "pod" else None
    return Kill(what, name, namespace, confirm=not flags.get("no_confirm"))


def _node(args: list[str], command: str) -> str:
    if len(args) != 1:
        extra = " ".join(args[1:])
        raise CommandError(f'unexpected "{extra}"' if args else f"{command} needs exactly one node name")
    word = args[0]
    if "/" in word:
        resource, _, word = word.partition("/")
        if _kind(resource).plural != "nodes":
            raise CommandError(f"{command} works on nodes, not {resource}")
    return word


def _cordon(args, flags) -> Cordon:
    return Cordon(_node(args, "cordon"))


def _uncordon(args, flags) -> Cordon:
    return Cordon(_node(args, "uncordon"), unschedulable=False)


def _drain(args, flags) -> Drain:
    return Drain(_node(args, "drain"), confirm=not flags.get("no_confirm"))


def _proxy(args, flags) -> Proxy:
    return Proxy(_node(args, "proxy"))


def _exec(args, flags) -> Exec:
    pod = _one(args, "exec", "a pod name")
    argv = tuple(flags.get("command") or ())
    if not argv:
        raise CommandError("exec needs a command after --")
    return Exec(pod, argv, str(flags.get("namespace") or DEFAULT_NAMESPACE), flags.get("container") or None)


def _traffic(args, flags) -> Traffic:
    if args[:1] == ["stop"]:
        return Traffic("", name=_one(args[1:], "traffic stop", "the name of a stream"), stop=True)
    target = _one(args, "traffic", "a URL (http://host/path) or a Service (name[.namespace][:port])")
    text = str(flags.get("rate") or "10")
    if not text.isdigit() or int(text) < 1:
        raise CommandError(f'rate must be a whole number of requests per second, at least 1, got "{text}"')
    name = str(flags.get("name") or stream_name(target))
    return Traffic(target, int(text), name)


def _rollout(args, flags) -> RolloutUndo:
    if not args or args[0] != "undo":
        raise CommandError("only rollout undo is supported" if args else "rollout needs undo")
    kind, name, rest = _target(args[1:], "rollout undo", need_name=True)
    if kind.plural != "deployments":
        raise CommandError(f"rollout undo of {kind.plural} is not simulated; use a deployment")
    _no_more(rest)
    revision = 0
    if "to_revision" in flags:
        try:
            revision = int(str(flags["to_revision"]))
        except ValueError:
            raise CommandError(f'--to-revision must be a whole number, got "{flags["to_revision"]}"') from None
    return RolloutUndo(name, _namespace(kind, flags), revision, confirm=not flags.get("no_confirm"))


def _one(args: list[str], command: str, what: str) -> str:
    if not args:
        raise CommandError(f"{command} needs {what}")
    _no_more(args[1:])
    return args[0]


def _load(args, flags) -> Load:
    return Load(_one(args, "load", "a scenario name or file"))


def _speed(args, flags) -> Speed:
    text = _one(args, "speed", "a number")
    try:
        value = float(text.lstrip("x×"))
    except ValueError:
        raise CommandError(f'speed must be a number such as 1, 10 or 0.5, got "{text}"') from None
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise CommandError(f"speed {value:g} is out of range ({MIN_SPEED:g} to {MAX_SPEED:g})")
    return Speed(value)


def _theme(args, flags) -> Theme:
    return Theme(_one(args, "theme", "a theme name"))


def _quit(args, flags) -> Quit:
    _no_more(args)
    return Quit()


_PARSERS = {"get": _get, "describe": _describe, "scale": _scale, "delete": _delete, "apply": _apply, "kill": _kill,
            "cordon": _cordon, "uncordon": _uncordon, "drain": _drain, "rollout": _rollout, "proxy": _proxy, "traffic": _traffic, "exec": _exec,
            "load": _load,
            "speed": _speed, "theme": _theme, "quit": _quit}


# -- completion --------------------------------------------------------------------------------------


class Names(Protocol):
    """Where completion finds what exists: object names, namespaces, themes and scenarios."""

    def names(self, resource: str, namespace: str | None) -> list[str]: ...

    def namespaces(self) -> list[str]: ...

    def themes(self) -> list[str]: ...

    def scenarios(self) -> list[str]: ...


@dataclass(frozen=True)
class Completion:
    """Candidates for the word that starts at `start` in the line (each a whole replacement word)."""

    start: int
    candidates: list[str]


def complete(text: str, source: Names) -> Completion:
    """What the word under the cursor (the end of `text`) may become."""
    start = len(text) - len(text.split(" ")[-1])
    word = text[start:]
    before = text[:start].split()
    if not before:
        return Completion(start, _matching(list(COMMANDS), word))
    name = command_name(before[0])
    if name is None:
        return Completion(start, [])
    flags = FLAGS[name]
    args: list[str] = []
    namespace = None
    pending = None
    for w in before[1:]:
        if pending:
            if pending == "namespace":
                namespace = w
            pending = None
        elif w.startswith("-") and not _is_number(w):
            flag, eq, value = w.partition("=")
            dest, takes = flags.get(flag, ("", False))
            if takes and not eq:
                pending = dest
            elif dest == "namespace":
                namespace = value
        else:
            args.append(w)
    if pending == "namespace":
        return Completion(start, _matching(source.namespaces(), word))
    if pending == "filename":
        return Completion(start, paths(word))
    if word.startswith("-"):
        flag, eq, value = word.partition("=")
        if eq and flags.get(flag, ("", False))[0] == "namespace":
            return Completion(start, [f"{flag}={n}" for n in _matching(source.namespaces(), value)])
        return Completion(start, _matching(sorted(flags), word))
    return Completion(start, _positional(name, args, word, namespace, source))


def _positional(command: str, args: list[str], word: str, namespace: str | None, source: Names) -> list[str]:
    n = len(args)
    if command in ("get", "describe", "delete", "scale"):
        allowed = SCALABLE if command == "scale" else None
        if n == 0:
            return _resource_or_object(word, namespace, source, allowed)
        if n == 1 and "/" not in args[0]:
            return _object_names(args[0], word, namespace, source)
        return []
    if command == "kill":
        if n == 0:
            return _matching(["node", "pod"], word)
        if n == 1:
            return _object_names(args[0], word, namespace, source)
        return []
    if command == "exec":
        return _object_names("pods", word, namespace, source) if n == 0 else []
    if command in ("cordon", "uncordon", "drain", "proxy"):
        return _matching(source.names("nodes", None), word) if n == 0 else []
    if command == "rollout":
        if n == 0:
            return _matching(["undo"], word)
        if n == 1:
            return _resource_or_object(word, namespace, source, ("deployments",))
        if n == 2 and "/" not in args[1]:
            return _object_names(args[1], word, namespace, source)
        return []
    if command == "apply":
        return _matching(["-f"], word) if n == 0 else []
    if command == "load":
        if n:
            return []
        return paths(word) if ("/" in word or word.startswith(".")) else _matching(source.scenarios(), word)
    if command == "speed":
        return _matching(list(SPEEDS), word) if n == 0 else []
    if command == "theme":
        return _matching(source.themes(), word) if n == 0 else []
    return []


def _resource_or_object(word: str, namespace: str | None, source: Names, allowed=None) -> list[str]:
    if "/" in word:
        resource, _, prefix = word.partition("/")
        try:
            kind = kinds.resolve(resource)
        except ApiError:
            return []
        if allowed and kind.plural not in allowed:
            return []
        names = source.names(kind.plural, (namespace or DEFAULT_NAMESPACE) if kind.namespaced else None)
        return [f"{resource}/{n}" for n in _matching(names, prefix)]
    words = RESOURCE_WORDS if allowed is None else [w for w in RESOURCE_WORDS if kinds.resolve(w).plural in allowed]
    return _matching(words, word)


def _object_names(resource: str, word: str, namespace: str | None, source: Names) -> list[str]:
    if resource in ("node", "pod"):
        resource = resource + "s"
    try:
        kind = kinds.resolve(resource)
    except ApiError:
        return []
    names = source.names(kind.plural, (namespace or DEFAULT_NAMESPACE) if kind.namespaced else None)
    return _matching(names, word)


def _matching(words: list[str], prefix: str) -> list[str]:
    return sorted({w for w in words if w.startswith(prefix)})


def paths(word: str) -> list[str]:
    """Files and folders (with a trailing `/`) whose path starts with `word`."""
    folder, _, prefix = word.rpartition("/")
    where = os.path.expanduser(folder) if folder else ("/" if word.startswith("/") else ".")
    try:
        entries = os.listdir(where)
    except OSError:
        return []
    out = []
    for entry in entries:
        if not entry.startswith(prefix) or (entry.startswith(".") and not prefix.startswith(".")):
            continue
        full = f"{folder}/{entry}" if folder or word.startswith("/") else entry
        out.append(full + "/" if os.path.isdir(os.path.join(where, entry)) else full)
    return sorted(out)


def common_prefix(words: list[str]) -> str:
    return os.path.commonprefix(words) if words else ""
