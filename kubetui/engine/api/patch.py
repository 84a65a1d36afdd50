"""PATCH bodies applied as kube-apiserver applies them: JSON merge patch, JSON patch and strategic merge patch."""

from __future__ import annotations

import re

from ..objects import deep_copy
from . import errors, schema

# Every function here returns a fresh object that shares nothing with its inputs, so callers (the API
# server) may adjust the result in place.


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"


def _invalid_request(detail: str) -> errors.ApiError:
    # kube-apiserver answers a patch it cannot apply with a generic 422 whose message drops the detail;
    # the detail is kept as a cause so front ends can still show it.
    return errors.ApiError(422, "Invalid", "the server rejected our request due to an error in our request",
                           {"causes": [{"message": detail}]})


def _server_error(message: str) -> errors.ApiError:
    # A plain Go error from the patch code becomes a 500 with reason StatusReasonUnknown ("").
    return errors.ApiError(500, "", message)


# -- JSON merge patch (RFC 7386) --------------------------------------------------------------


def json_merge_patch(target: dict, patch: dict) -> dict:
    """RFC 7386: objects merge recursively, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        raise errors.bad_request("Invalid JSON Patch")
    return _merge_patch(target if isinstance(target, dict) else {}, patch)


def _merge_patch(target: dict, patch: dict) -> dict:
    out = {k: deep_copy(v) for k, v in target.items() if k not in patch}
    for key, value in patch.items():
        if value is None:
            continue
        if isinstance(value, dict):
            current = target.get(key)
            out[key] = _merge_patch(current if isinstance(current, dict) else {}, value)
        else:
            out[key] = deep_copy(value)
    return out


# -- JSON patch (RFC 6902) -------------------------------------------------------------------


class _OpFailed(Exception):
    pass


_MISSING = object()


_INDEX_RE = re.compile(r"0|[1-9][0-9]*")


def json_patch(target: object, ops: list) -> object:
    """Apply RFC 6902 operations (add, remove, replace, move, copy, test) in order.

    A body that is not a list of objects is a 400; an operation that does not apply is kube-apiserver's
    422 Invalid (the specific reason is in `details.causes`)."""
    if ops is None:
        return deep_copy(target)
    if not isinstance(ops, list):
        raise errors.bad_request(f"json: cannot unmarshal {_json_type(ops)} into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict):
            raise errors.bad_request(
                f"json: cannot unmarshal {_json_type(op)} into Go value of type jsonpatch.Operation")
    doc = deep_copy(target)
    for op in ops:
        try:
            doc = _apply_op(doc, op)
        except _OpFailed as e:
            raise _invalid_request(str(e)) from None
    return doc


def _pointer(op: dict, field: str, kind: str) -> list[str]:
    path = op.get(field)
    if not isinstance(path, str):
        raise _OpFailed(f"{kind} operation missing {field} field")
    if path == "":
        return []
    if not path.startswith("/"):
        raise _OpFailed(f'{kind} operation does not apply: invalid JSON pointer "{path}"')
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _index(container: list, token: str, kind: str, path: str, allow_end: bool) -> int:
    if not _INDEX_RE.fullmatch(token):
        raise _OpFailed(f'{kind} operation does not apply: invalid array index "{token}" in "{path}"')
    i = int(token)
    if i > len(container) or (i == len(container) and not allow_end):
        raise _OpFailed(f'{kind} operation does not apply: index {i} out of bounds in "{path}"')
    return i


def _walk(doc: object, tokens: list[str], kind: str, path: str) -> object:
    cur = doc
    for token in tokens:
        if isinstance(cur, dict):
            if token not in cur:
                raise _OpFailed(f'{kind} operation does not apply: doc is missing path: "{path}"')
            cur = cur[token]
        elif isinstance(cur, list):
            cur = cur[_index(cur, token, kind, path, False)]
        else:
            raise _OpFailed(f'{kind} operation does not apply: doc is missing path: "{path}"')
    return cur


def _add(doc: object, tokens: list[str], value: object, kind: str, path: str) -> object:
    if not tokens:
        return value
    parent = _walk(doc, tokens[:-1], kind, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            parent.insert(_index(parent, last, kind, path, True), value)
    else:
        raise _OpFailed(f'{kind} operation does not apply: doc is missing path: "{path}"')
    return doc


def _remove(doc: object, tokens: list[str], kind: str, path: str) -> object:
    if not tokens:
        raise _OpFailed(f'{kind} operation does not apply: cannot remove the whole document')
    parent = _walk(doc, tokens[:-1], kind, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _OpFailed(f'{kind} operation does not apply: doc is missing key: "{path}"')
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, kind, path, False))
    raise _OpFailed(f'{kind} operation does not apply: doc is missing path: "{path}"')


def _replace(doc: object, tokens: list[str], value: object, path: str) -> object:
    if not tokens:
        return value
    parent = _walk(doc, tokens[:-1], "replace", path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _OpFailed(f'replace operation does not apply: doc is missing key: "{path}"')
        parent[last] = value
    elif isinstance(parent, list):
        parent[_index(parent, last, "replace", path, False)] = value
    else:
        raise _OpFailed(f'replace operation does not apply: doc is missing path: "{path}"')
    return doc


def _json_equal(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _apply_op(doc: object, op: dict) -> object:
    kind = op.get("op")
    if kind not in ("add", "remove", "replace", "move", "copy", "test"):
        raise _OpFailed(f"Unexpected kind: {kind if isinstance(kind, str) else 'unknown'}")
    tokens = _pointer(op, "path", kind)
    path = op["path"]
    if kind in ("add", "replace", "test") and "value" not in op:
        raise _OpFailed(f"{kind} operation does not apply: missing value")
    if kind == "add":
        return _add(doc, tokens, deep_copy(op["value"]), kind, path)
    if kind == "remove":
        _remove(doc, tokens, kind, path)
        return doc
    if kind == "replace":
        return _replace(doc, tokens, deep_copy(op["value"]), path)
    if kind == "test":
        try:
            actual = _walk(doc, tokens, kind, path)
        except _OpFailed:
            actual = _MISSING
        if actual is _MISSING or not _json_equal(actual, op["value"]):
            raise _OpFailed(f"testing value {path} failed: test failed")
        return doc
    from_tokens = _pointer(op, "from", kind)
    source = op["from"]
    if kind == "move":
        if source == path:
            return doc
        if path.startswith(source + "/"):
            raise _OpFailed(f'move operation does not apply: "{path}" is a child of "{source}"')
        value = _remove(doc, from_tokens, kind, source)
        return _add(doc, tokens, value, kind, path)
    value = deep_copy(_walk(doc, from_tokens, kind, source))
    return _add(doc, tokens, value, kind, path)


# -- strategic merge patch -------------------------------------------------------------------

_PATCH = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_FROM = "$deleteFromPrimitiveList"
_SET_ORDER = "$setElementOrder"

_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_BAD_SET_ORDER = "invalid patch format of setElementOrder list"


def strategic_merge_patch(target: dict, patch: dict, schema_def: str) -> dict:
    """Apply a strategic merge patch to `target`, whose OpenAPI definition is `schema_def`.

    Follows apimachinery's strategicpatch: maps merge, `null` deletes, lists whose field has patch
    strategy `merge` merge by `x-kubernetes-patch-merge-key` (or as a set for primitives), other lists
    are replaced; directives `$patch` (replace/delete), `$retainKeys`, `$deleteFromPrimitiveList/<f>`
    and `$setElementOrder/<f>` are honoured. New list items go first unless `$setElementOrder` says
    otherwise, as upstream."""
    if patch is None:
        patch = {}
    if not isinstance(patch, dict):
        raise errors.bad_request(
            f"json: cannot unmarshal {_json_type(patch)} into Go value of type map[string]interface {{}}")
    return _merge_map(deep_copy(target), deep_copy(patch), schema.definitions()[schema_def])


def _go_fmt(value: object) -> str:
    """Go's %v rendering of decoded JSON, for messages that quote patch content as upstream does."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_fmt(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_fmt(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _go_type(value: object) -> str:
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "<nil>"
    return "float64"


def _no_merge_key(item: dict, merge_key: str) -> errors.ApiError:
    return _server_error(f"map: {_go_fmt(item)} does not contain declared merge key: {merge_key}")


def _child_schema(node: dict | None, key: str) -> dict | None:
    if node is None:
        return None
    resolved = schema.resolve(node)
    props = resolved.get("properties")
    if props and key in props:
        return props[key]
    extra = resolved.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def _patch_meta(field: dict | None) -> tuple[str, str]:
    """(strategy other than retainKeys, merge key) of a field, from its OpenAPI extensions."""
    if field is None:
        return "", ""
    strategies = [s for s in field.get("x-kubernetes-patch-strategy", "").split(",") if s and s != "retainKeys"]
    return (strategies[0] if strategies else ""), field.get("x-kubernetes-patch-merge-key", "")


def _items_schema(field: dict | None) -> dict | None:
    return None if field is None else schema.resolve(field).get("items")


def _directive_target(key: str, prefix: str, problem: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise errors.bad_request(problem)
    return rest


def _is_directive_key(key: str) -> bool:
    return key == _RETAIN_KEYS or key.startswith(_SET_ORDER) or key.startswith(_DELETE_FROM)


def _clean(value: object) -> tuple[object, bool]:
    """A patch value as it lands where the target had nothing: nulls dropped from maps, directives
    removed, and maps carrying `$patch` dropped entirely. Returns (value, keep)."""
    if isinstance(value, dict):
        if _PATCH in value:
            return None, False
        out = {}
        for k, v in value.items():
            if v is None or _is_directive_key(k):
                continue
            cleaned, keep = _clean(v)
            if keep:
                out[k] = cleaned
        return out, True
    if isinstance(value, list):
        out_list = []
        for v in value:
            cleaned, keep = _clean(v)
            if keep:
                out_list.append(cleaned)
        return out_list, True
    return value, True


def _set_cleaned(original: dict, key: str, value: object) -> None:
    cleaned, keep = _clean(value)
    if keep:
        original[key] = cleaned
    else:
        original.pop(key, None)


def _shape(value: object) -> str:
    return "map" if isinstance(value, dict) else "list" if isinstance(value, list) else "scalar"


def _merge_map(original: dict, patch: dict, node: dict | None) -> dict:
    """Merge `patch` into `original`; both are private copies and may be consumed."""
    if _PATCH in patch:
        directive = patch[_PATCH]
        if directive == "replace":
            return _clean({k: v for k, v in patch.items() if k != _PATCH})[0]
        if directive == "delete":
            return {}
        raise _server_error(f"unknown patch type: {_go_fmt(directive)} in map: {_go_fmt(patch)}")
    if _RETAIN_KEYS in patch:
        _apply_retain_keys(original, patch)
    for order_key in [k for k in patch if k.startswith(_SET_ORDER)]:
        _apply_set_element_order(original, patch, order_key, node)
    for key, value in patch.items():
        delete_list = key.startswith(_DELETE_FROM)
        if delete_list:
            key = _directive_target(key, _DELETE_FROM, _BAD_PRIMITIVE_LIST)
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key, _MISSING)
        if current is _MISSING or _shape(current) != _shape(value) or _shape(value) == "scalar":
            if not delete_list:
                _set_cleaned(original, key, value)
            continue
        field = _child_schema(node, key)
        strategy, merge_key = _patch_meta(field)
        if isinstance(current, dict):
            original[key] = _clean(value)[0] if strategy == "replace" else _merge_map(current, value, field)
        elif strategy == "merge" or delete_list:
            original[key] = _merge_list(current, value, _items_schema(field), merge_key, delete_list)
        else:
            original[key] = _clean(value)[0]
    return original


def _apply_retain_keys(original: dict, patch: dict) -> None:
    retain = patch.pop(_RETAIN_KEYS)
    if not isinstance(retain, list) or not all(isinstance(k, str) for k in retain):
        raise errors.bad_request(_BAD_RETAIN_KEYS)
    allowed = set(retain)
    for key, value in patch.items():
        if value is None or key.startswith(_DELETE_FROM) or key.startswith(_SET_ORDER):
            continue
        if key not in allowed:
            raise errors.bad_request(_BAD_RETAIN_KEYS)
    for key in [k for k in original if k not in allowed]:
        del original[key]


def _apply_set_element_order(original: dict, patch: dict, order_key: str, node: dict | None) -> None:
    order = patch.pop(order_key)
    if not isinstance(order, list):
        raise _server_error(f"expected a []interface {{}}, but received a {_go_type(order)}")
    key = _directive_target(order_key, _SET_ORDER, _BAD_SET_ORDER)
    has_original, has_patch = key in original, key in patch
    if not has_original and not has_patch:
        return
    current = original.get(key) if has_original else []
    incoming = patch.pop(key) if has_patch else []
    for value in (current, incoming):
        if not isinstance(value, list):
            raise _server_error(f"expected a []interface {{}}, but received a {_go_type(value)}")
    field = _child_schema(node, key)
    strategy, merge_key = _patch_meta(field)
    if not has_patch:
        merged = current
    elif not has_original:
        merged = _clean(incoming)[0]
    elif strategy == "merge":
        merged = _merge_list(current, incoming, _items_schema(field), merge_key, False)
    else:
        merged = _clean(incoming)[0]
    ordered, server_only = _partition(merged, order, merge_key)
    original[key] = _normalize_order(ordered, server_only, order, current, merge_key)


def _element_shape(*lists: list) -> str:
    shape = ""
    for items in lists:
        for item in items:
            if item is None:
                continue
            if isinstance(item, list):
                raise _invalid_request("lists of lists are not supported")
            this = "map" if isinstance(item, dict) else _go_type(item)
            if shape and this != shape:
                raise _server_error("list element types are not identical: "
                                    + _go_fmt([list(items) for items in lists]))
            shape = this
    return shape


def _merge_list(original: list, patch: list, items: dict | None, merge_key: str, delete_list: bool) -> list:
    if not original and not patch:
        return original
    if _element_shape(original, patch) != "map":
        if delete_list:
            return [v for v in original if v not in patch]
        merged = []
        for v in original + patch:
            if v not in merged:
                merged.append(v)
        ordered, server_only = _partition(merged, patch, "")
        return _normalize_order(ordered, server_only, patch, original, "")
    if not merge_key:
        raise _server_error("cannot merge lists without merge key")
    original, patch = _list_directives(original, patch, merge_key)
    merged = list(original)
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        for i, existing in enumerate(merged):
            if merge_key in existing and existing[merge_key] == item[merge_key]:
                merged[i] = _merge_map(existing, item, items)
                break
        else:
            merged.append(_clean(item)[0])
    ordered, server_only = _partition(merged, patch, merge_key)
    return _normalize_order(ordered, server_only, patch, original, merge_key)


def _list_directives(original: list, patch: list, merge_key: str) -> tuple[list, list]:
    """Apply `$patch: delete` items and `$patch: replace`; return (original, patch without directives)."""
    plain = []
    replace = False
    for item in patch:
        if _PATCH not in item:
            plain.append(item)
            continue
        directive = item[_PATCH]
        if directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            value = item[merge_key]
            original = [o for o in original if not (merge_key in o and o[merge_key] == value)]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _server_error("merging lists cannot yet be specified in the patch")
        else:
            raise _server_error(f"unknown patch type: {_go_fmt(directive)} in map: {_go_fmt(item)}")
    if replace:
        return [_clean(item)[0] for item in plain], []
    return original, plain


def _position(items: list, item: object, merge_key: str) -> int:
    if merge_key:
        want = item.get(merge_key) if isinstance(item, dict) else None
        for i, other in enumerate(items):
            if isinstance(other, dict) and other.get(merge_key) == want:
                return i
        return -1
    for i, other in enumerate(items):
        if other == item:
            return i
    return -1


def _partition(merged: list, wanted: list, merge_key: str) -> tuple[list, list]:
    """Split `merged` into items present in `wanted` and the rest (server-only items)."""
    present, server_only = [], []
    for item in merged:
        if merge_key and not (isinstance(item, dict) and merge_key in item):
            raise _no_merge_key(item if isinstance(item, dict) else {}, merge_key)
        (present if _position(wanted, item, merge_key) >= 0 else server_only).append(item)
    return present, server_only


def _normalize_order(patch_items: list, server_only: list, patch_order: list, server_order: list,
                     merge_key: str) -> list:
    """Order patch items as the patch does and server-only items as the live list does, then
    interleave them: a server item goes before a patch item when the live list has it earlier."""
    if merge_key:
        for item in [*patch_order, *server_order]:
            if isinstance(item, dict) and merge_key not in item and _PATCH not in item:
                raise _no_merge_key(item, merge_key)

    def by(order: list):
        def key(item: object) -> int:
            i = _position(order, item, merge_key)
            return i if i >= 0 else len(order)
        return key

    patch_items = sorted(patch_items, key=by(patch_order))
    server_only = sorted(server_only, key=by(server_order))
    out = []
    i = j = 0
    while i < len(server_only) and j < len(patch_items):
        left = _position(server_order, server_only[i], merge_key)
        right = _position(server_order, patch_items[j], merge_key)
        if left >= 0 and right >= 0 and left < right:
            out.append(server_only[i])
            i += 1
        else:
            out.append(patch_items[j])
            j += 1
    out.extend(server_only[i:])
    out.extend(patch_items[j:])
    return out
