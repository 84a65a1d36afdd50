"""Decoding request bodies against the official schema, as kube-apiserver's JSON decoder does (strict or not)."""

from __future__ import annotations

import binascii
import functools

from .. import quantity
from . import errors, schema

# Node kinds of the compiled schema.
_ANY, _STR, _BOOL, _INT, _NUM, _OBJ, _MAP, _ARR, _INTSTR, _QTY, _BYTES = range(11)

_INT_RANGES = {"int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1)}
# What Go leaves in a map or list element decoded from JSON null.
_ZERO = {_STR: "", _BYTES: "", _BOOL: False, _INT: 0, _NUM: 0, _INTSTR: 0, _QTY: "0"}


class _Node:
    __slots__ = ("kind", "go_type", "struct", "props", "elem", "lo", "hi")

    def __init__(self, kind: int, go_type: str):
        self.kind = kind
        self.go_type = go_type
        self.struct = ""
        self.props: dict[str, _Node] = {}
        self.elem: _Node | None = None
        self.lo = self.hi = 0


_DEFINITIONS: dict[str, _Node] = {}


def _definition_node(name: str) -> _Node:
    node = _DEFINITIONS.get(name)
    if node is not None:
        return node
    short = name.rsplit(".", 1)[-1]
    if short == "IntOrString":
        node = _Node(_INTSTR, "intstr.IntOrString")
    elif short == "Quantity":
        node = _Node(_QTY, "resource.Quantity")
    else:
        sch = schema.definitions()[name]
        go_name = ".".join(name.split(".")[-2:])
        if "properties" in sch:
            # Registered before its fields are compiled, so self-referencing definitions terminate.
            node = _DEFINITIONS[name] = _Node(_OBJ, go_name)
            node.struct = short
            node.props = {key: _node_for(sub) for key, sub in sch["properties"].items()}
            return node
        node = _compile(sch)
    _DEFINITIONS[name] = node
    return node


def _node_for(sch: dict) -> _Node:
    ref = sch.get("$ref")
    if ref is None and len(sch.get("allOf") or ()) == 1:
        ref = sch["allOf"][0].get("$ref")
    if ref is not None:
        return _definition_node(schema.ref_name(ref))
    return _compile(sch)


def _compile(sch: dict) -> _Node:
    types = schema.types_of(sch) - {"null"}
    if "object" in types:
        if "properties" in sch:
            node = _Node(_OBJ, "struct")
            node.props = {key: _node_for(sub) for key, sub in sch["properties"].items()}
            return node
        if isinstance(sch.get("additionalProperties"), dict):
            elem = _node_for(sch["additionalProperties"])
            node = _Node(_MAP, "map[string]" + elem.go_type)
            node.elem = elem
            return node
        return _Node(_ANY, "map[string]interface {}")
    if "array" in types:
        elem = _node_for(sch["items"]) if isinstance(sch.get("items"), dict) else _Node(_ANY, "interface {}")
        node = _Node(_ARR, "[]" + elem.go_type)
        node.elem = elem
        return node
    if "string" in types:
        return _Node(_BYTES, "[]uint8") if sch.get("format") == "byte" else _Node(_STR, "string")
    if "integer" in types:
        fmt = sch.get("format")
        node = _Node(_INT, fmt if fmt in _INT_RANGES else "int64")
        node.lo, node.hi = _INT_RANGES.get(fmt, _INT_RANGES["int64"])
        return node
    if "number" in types:
        return _Node(_NUM, "float64")
    if "boolean" in types:
        return _Node(_BOOL, "bool")
    return _Node(_ANY, "interface {}")


@functools.cache
def _root(group: str, version: str, kind: str) -> _Node:
    return _definition_node(schema.definition_name(group, version, kind))


def known_kind(group: str, version: str, kind: str) -> bool:
    """Whether the official schema defines this group/version/kind."""
    try:
        schema.definition_name(group, version, kind)
    except KeyError:
        return False
    return True


# -- quantities ---------------------------------------------------------------------------------

_BINARY_SUFFIX = {0: "", 1: "Ki", 2: "Mi", 3: "Gi", 4: "Ti", 5: "Pi", 6: "Ei"}
_DECIMAL_SUFFIX = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_DECIMAL_SI = frozenset(_DECIMAL_SUFFIX.values())
_BINARY_SI = frozenset(_BINARY_SUFFIX.values()) - {""}


@functools.lru_cache(maxsize=4096)
def canonical_quantity(text: str) -> str:
    """resource.Quantity's canonical String() (`0.5` → `500m`, `1024Mi` → `1Gi`, `1000m` → `1`);
    an unparsable quantity is a ValueError with apimachinery's message."""
    value = quantity.parse_quantity(text)
    if value == 0:
        return "0"
    suffix = text.lstrip("+-").lstrip("0123456789.")
    sign = "-" if value < 0 else ""
    value = abs(value)
    if suffix in _BINARY_SI and value >= 1024 and value.denominator == 1:
        n, power = value.numerator, 0
        while n % 1024 == 0 and power < 6:
            n //= 1024
            power += 1
        return f"{sign}{n}{_BINARY_SUFFIX[power]}"
    exponent = 0
    while value.denominator != 1:
        value *= 1000
        exponent -= 3
    n = value.numerator
    while n % 1000 == 0:
        n //= 1000
        exponent += 3
    if suffix not in _DECIMAL_SI and suffix not in _BINARY_SI:
        return f"{sign}{n}" + (f"e{exponent}" if exponent else "")
    named = _DECIMAL_SUFFIX.get(exponent)
    return f"{sign}{n}{named}" if named is not None else f"{sign}{n}e{exponent}"


def _quantity_text(value: object) -> str:
    """The text Quantity.UnmarshalJSON parses for a decoded JSON value."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    quantity.parse_quantity(value)  # raises apimachinery's format error for bools, lists and objects
    raise AssertionError(value)


# -- base64 ([]byte fields) ----------------------------------------------------------------------

_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_NEWLINES = frozenset(b"\r\n")
_PAD = ord("=")


def base64_error(text: str) -> str | None:
    """Go's base64.StdEncoding error for `text` (`illegal base64 data at input byte 4`), None if it decodes."""
    try:
        binascii.a2b_base64(text.encode(), strict_mode=True)
        return None
    except (binascii.Error, UnicodeEncodeError):
        pass
    src = text.encode("utf-8", "surrogatepass")
    si = 0
    while si < len(src):
        si, bad = _base64_quantum(src, si)
        if bad is not None:
            return f"illegal base64 data at input byte {bad}"
    return None


def _base64_quantum(src: bytes, si: int) -> tuple[int, int | None]:
    """One step of Go's decodeQuantum: the next read position and the offset of a corrupt byte, if any."""
    n = len(src)
    j = 0
    while j < 4:
        if si == n:
            return si, (None if j == 0 else si - j)
        ch = src[si]
        si += 1
        if ch in _B64:
            j += 1
            continue
        if ch in _NEWLINES:
            continue
        if ch != _PAD or j < 2:
            return si, si - 1
        if j == 2:
            while si < n and src[si] in _NEWLINES:
                si += 1
            if si == n:
                return si, n
            if src[si] != _PAD:
                return si, si - 1
            si += 1
        while si < n and src[si] in _NEWLINES:
            si += 1
        return si, (si if si < n else None)
    return si, None


# -- the walk ------------------------------------------------------------------------------------


class _DecodeError(Exception):
    """The first value Go's decoder cannot store; like upstream it wins over unknown-field errors."""


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _field_path(path) -> str:
    """Go's errorContext field stack: JSON names from the root, without list indexes or map keys."""
    parts = []
    while path is not None:
        path, key, is_field = path
        if is_field:
            parts.append(key)
    return ".".join(reversed(parts))


def _strict_path(path, key=None) -> str:
    parts = [] if key is None else [key]
    while path is not None:
        path, step, _ = path
        parts.append(step)
    text = ""
    for step in reversed(parts):
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return text


def _type_error(value: object, node: _Node, path, owner: _Node, number_text: str = "") -> _DecodeError:
    """Go's UnmarshalTypeError; `owner` is the innermost struct around the field."""
    what = f"number {number_text}" if number_text else _json_kind(value)
    return _DecodeError(f"json: cannot unmarshal {what} into Go struct field {owner.struct}.{_field_path(path)} "
                        f"of type {node.go_type}")


def _number_text(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


class _Walk:
    __slots__ = ("unknown", "drop")

    def __init__(self, drop: bool):
        self.unknown: list[str] = []
        self.drop = drop

    def obj(self, node: _Node, value: dict, path) -> None:
        props = node.props
        doomed = None
        for key, v in value.items():
            child = props.get(key)
            if child is None:
                self.unknown.append(_strict_path(path, key))
                if self.drop:
                    doomed = (doomed or []) + [key]
                continue
            if v is None:
                doomed = (doomed or []) + [key]
                continue
            kind = child.kind
            if kind == _STR:
                if type(v) is not str:
                    raise _type_error(v, child, (path, key, True), node)
            else:
                fixed = self.value(child, v, (path, key, True), node)
                if fixed is not v:
                    value[key] = fixed
        if doomed:
            for key in doomed:
                del value[key]

    def value(self, node: _Node, v: object, path, owner: _Node) -> object:
        """Check one non-null value; returns it, or the value Go's round trip would store instead."""
        kind = node.kind
        t = type(v)
        if kind == _STR:
            if t is not str:
                raise _type_error(v, node, path, owner)
        elif kind == _OBJ:
            if t is not dict:
                raise _type_error(v, node, path, owner)
            self.obj(node, v, path)
        elif kind == _INT:
            if t is not int or not node.lo <= v <= node.hi:
                return self._integer(node, v, path, owner)
        elif kind == _BOOL:
            if t is not bool:
                raise _type_error(v, node, path, owner)
        elif kind == _ARR:
            if t is not list:
                raise _type_error(v, node, path, owner)
            elem = node.elem
            for i, item in enumerate(v):
                if item is None:
                    v[i] = _null_item(elem)
                    continue
                fixed = self.value(elem, item, (path, i, False), owner)
                if fixed is not item:
                    v[i] = fixed
        elif kind == _MAP:
            if t is not dict:
                raise _type_error(v, node, path, owner)
            elem = node.elem
            for key, item in v.items():
                if item is None:
                    v[key] = _null_item(elem)
                    continue
                fixed = self.value(elem, item, (path, key, False), owner)
                if fixed is not item:
                    v[key] = fixed
        elif kind == _QTY:
            try:
                canonical = canonical_quantity(_quantity_text(v))
            except ValueError as e:
                raise _DecodeError(str(e)) from None
            return v if canonical == v else canonical
        elif kind == _INTSTR:
            if t is str:
                return v
            if t is not int:
                if t is float and v.is_integer():
                    return int(v)
                raise _type_error(v, _INT32, path, owner, _number_text(v) if t is float else "")
            if not _INT32.lo <= v <= _INT32.hi:
                raise _type_error(v, _INT32, path, owner, str(v))
        elif kind == _NUM:
            if t is not int and t is not float:
                raise _type_error(v, node, path, owner)
        elif kind == _BYTES:
            if t is not str:
                raise _type_error(v, node, path, owner)
            problem = base64_error(v)
            if problem:
                raise _DecodeError(problem)
        return v

    @staticmethod
    def _integer(node: _Node, v: object, path, owner: _Node) -> int:
        if type(v) is float and v.is_integer() and node.lo <= v <= node.hi:
            # YAML `3.0` reaches kube-apiserver as the JSON number 3.
            return int(v)
        if type(v) is int:
            raise _type_error(v, node, path, owner, str(v))
        raise _type_error(v, node, path, owner, _number_text(v) if type(v) is float else "")


_INT32 = _Node(_INT, "int32")
_INT32.lo, _INT32.hi = _INT_RANGES["int32"]


def _null_item(elem: _Node) -> object:
    if elem.kind == _OBJ or elem.kind == _MAP:
        return {}
    if elem.kind == _ARR:
        return []
    return _ZERO.get(elem.kind)


def decode(group: str, version: str, kind: str, obj: dict, *, strict: bool = True) -> list[str]:
    """Check `obj` against the kind's schema in place, the way kube-apiserver decodes a body.

    A value of the wrong JSON type, an unparsable quantity or bad base64 is a 400 whatever `strict`
    says. Unknown fields are a 400 when `strict`; otherwise they are dropped (Go has nowhere to put
    them) and their paths returned, for `fieldValidation=Warn`. Like the Go round trip, nulls vanish,
    integral floats become ints and quantities take their canonical form (`0.5` → `500m`).
    """
    walk = _Walk(drop=not strict)
    try:
        walk.obj(_root(group, version, kind), obj, None)
    except _DecodeError as e:
        raise _cannot_handle(version, kind, str(e)) from None
    if walk.unknown and strict:
        detail = ", ".join(f'unknown field "{p}"' for p in walk.unknown)
        raise _cannot_handle(version, kind, f"strict decoding error: {detail}")
    return walk.unknown


def strict_decode(group: str, version: str, kind: str, obj: dict) -> None:
    """`decode` with `fieldValidation=Strict`: unknown fields are a 400 BadRequest."""
    decode(group, version, kind, obj, strict=True)


def _cannot_handle(version: str, kind: str, detail: str) -> errors.ApiError:
    return errors.bad_request(f'{kind} in version "{version}" cannot be handled as a {kind}: {detail}')
