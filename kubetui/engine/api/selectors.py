"""Label and field selectors: parsing, validation and fast matching, as apimachinery does them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import errors, names
from .errors import FieldError

# Label keys and values follow apimachinery's IsQualifiedName and IsValidLabelValue.
label_key_errors = names.qualified_name
label_value_errors = names.label_value


# -- label selectors ---------------------------------------------------------------------------

# Operators, spelled as apimachinery's selection.Operator values.
EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "=", "==", "!="
IN, NOT_IN, EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN = "in", "notin", "exists", "!", "gt", "lt"

_OPERATOR_NAMES = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
_INT64_RE = re.compile(r"[+-]?[0-9]+")

# Compiled check codes for LabelSelector.matches.
_C_IN, _C_NOT_IN, _C_NOT_EQUAL, _C_EXISTS, _C_ABSENT, _C_GT, _C_LT = range(7)


def _go_int64(text: str) -> int | None:
    if not _INT64_RE.fullmatch(text):
        return None
    n = int(text)
    return n if -(1 << 63) <= n < (1 << 63) else None


class LabelSelector:
    """A conjunction of label requirements, precompiled for fast matching.

    `requirements` are `(key, operator, values)` tuples sorted by key; operators are `=`, `==`, `!=`,
    `in`, `notin`, `exists`, `!` (does not exist), `gt` and `lt`. A selector built with
    `nothing=True` matches no object (apimachinery's `labels.Nothing()`).
    """

    __slots__ = ("_reqs", "_nothing", "_eq", "_checks", "_matches_empty")

    def __init__(self, requirements: Iterable[tuple[str, str, tuple[str, ...]]] = (), nothing: bool = False):
        self._reqs = tuple(sorted(((k, op, tuple(vals)) for k, op, vals in requirements), key=lambda r: r[0]))
        self._nothing = nothing
        eq: list[tuple[str, str]] = []
        checks: list[tuple[int, str, object]] = []
        for key, op, vals in self._reqs:
            if op in (EQUALS, DOUBLE_EQUALS) or (op == IN and len(vals) == 1):
                eq.append((key, vals[0]))
            elif op == IN:
                checks.append((_C_IN, key, frozenset(vals)))
            elif op == NOT_IN:
                checks.append((_C_NOT_IN, key, frozenset(vals)))
            elif op == NOT_EQUALS:
                checks.append((_C_NOT_EQUAL, key, vals[0]))
            elif op == EXISTS:
                checks.append((_C_EXISTS, key, None))
            elif op == DOES_NOT_EXIST:
                checks.append((_C_ABSENT, key, None))
            elif op in (GREATER_THAN, LESS_THAN):
                checks.append((_C_GT if op == GREATER_THAN else _C_LT, key, _go_int64(vals[0]) if vals else None))
            else:
                raise ValueError(f"unknown label selector operator {op!r}")
        self._eq = tuple(eq)
        self._checks = tuple(checks)
        self._matches_empty = not nothing and self._match({})

    @property
    def requirements(self) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        return self._reqs

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything (a Nothing selector is not empty)."""
        return not self._nothing and not self._reqs

    def matches(self, labels: dict | None) -> bool:
        if not labels:
            return self._matches_empty
        return self._match(labels)

    def _match(self, labels: dict) -> bool:
        if self._nothing:
            return False
        get = labels.get
        for key, value in self._eq:
            if get(key) != value:
                return False
        for code, key, arg in self._checks:
            if code == _C_IN:
                if get(key) not in arg:
                    return False
            elif code == _C_NOT_IN:
                if get(key) in arg:
                    return False
            elif code == _C_NOT_EQUAL:
                if get(key) == arg:
                    return False
            elif code == _C_EXISTS:
                if key not in labels:
                    return False
            elif code == _C_ABSENT:
                if key in labels:
                    return False
            else:
                have = get(key)
                number = _go_int64(have) if isinstance(have, str) else None
                if number is None or arg is None:
                    return False
                if (number <= arg) if code == _C_GT else (number >= arg):
                    return False
        return True

    def equality_pairs(self) -> tuple[tuple[str, str], ...]:
        """The `(key, value)` pairs every match must carry (`k=v`, `k==v`, `k in (v)`), for index lookups."""
        return self._eq

    def __str__(self) -> str:
        return ",".join(_requirement_string(r) for r in self._reqs)

    def __repr__(self) -> str:
        return "LabelSelector(<nothing>)" if self._nothing else f"LabelSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelSelector):
            return NotImplemented
        return self._nothing == other._nothing and self._reqs == other._reqs

    def __hash__(self) -> int:
        return hash((self._nothing, self._reqs))


def _requirement_string(req: tuple[str, str, tuple[str, ...]]) -> str:
    key, op, vals = req
    if op == EXISTS:
        return key
    if op == DOES_NOT_EXIST:
        return "!" + key
    joined = vals[0] if len(vals) == 1 else ",".join(sorted(vals))
    if op in (IN, NOT_IN):
        return f"{key} {op} ({joined})"
    symbol = {GREATER_THAN: ">", LESS_THAN: "<"}.get(op, op)
    return f"{key}{symbol}{joined}"


EVERYTHING = LabelSelector()
NOTHING = LabelSelector(nothing=True)


def _requirement_errors(key: str, op: str, values: list[str], path: str) -> list[FieldError]:
    """apimachinery's NewRequirement checks; `path` prefixes the field paths ("" for none)."""
    errs: list[FieldError] = []
    key_errs = label_key_errors(key)
    if key_errs:
        errs.append(errors.invalid(_join(path, "key"), key, "; ".join(key_errs)))
    values_path = _join(path, "values")
    if op in (IN, NOT_IN):
        if not values:
            errs.append(errors.invalid(values_path, values, "for 'in', 'notin' operators, values set can't be empty"))
    elif op in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            errs.append(errors.invalid(values_path, values, "exact-match compatibility requires one single value"))
    elif op in (EXISTS, DOES_NOT_EXIST):
        if values:
            errs.append(errors.invalid(values_path, values, "values set must be empty for exists and does not exist"))
    elif op in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            errs.append(errors.invalid(values_path, values, "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, v in enumerate(values):
            if _go_int64(v) is None:
                errs.append(errors.invalid(f"{values_path}[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer"))
    else:
        errs.append(errors.unsupported(_join(path, "operator"), op, [*_OPERATOR_NAMES, EXISTS, DOES_NOT_EXIST]))
    for i, v in enumerate(values):
        value_errs = label_value_errors(v)
        if value_errs:
            errs.append(errors.invalid(f"{values_path}[{i}][{key}]", v, "; ".join(value_errs)))
    return errs


def _join(path: str, child: str) -> str:
    return f"{path}.{child}" if path else child


def _aggregate(errs: list[FieldError]) -> str:
    texts = list(dict.fromkeys(str(e) for e in errs))
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


# Lexer tokens.
_T_END, _T_ID, _T_OPEN, _T_CLOSE, _T_COMMA, _T_NOT, _T_EQ, _T_DEQ, _T_NEQ, _T_IN, _T_NOTIN, _T_GT, _T_LT = range(13)
_SYMBOLS = {"(": _T_OPEN, ")": _T_CLOSE, ",": _T_COMMA, "!": _T_NOT, "=": _T_EQ, ">": _T_GT, "<": _T_LT,
            "==": _T_DEQ, "!=": _T_NEQ}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")


def _lex(text: str) -> list[tuple[int, str]]:
    tokens: list[tuple[int, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            tokens.append((_T_END, ""))
            return tokens
        ch = text[i]
        if ch in _SPECIAL:
            pair = text[i:i + 2]
            if pair in ("==", "!="):
                tokens.append((_SYMBOLS[pair], pair))
                i += 2
            else:
                tokens.append((_SYMBOLS[ch], ch))
                i += 1
            continue
        start = i
        while i < n and text[i] not in _SPECIAL and text[i] not in _WHITESPACE:
            i += 1
        word = text[start:i]
        tokens.append((_T_IN if word == "in" else _T_NOTIN if word == "notin" else _T_ID, word))


class _SyntaxError(Exception):
    pass


class _Parser:
    """apimachinery's recursive-descent label selector parser (`in`/`notin` are identifiers where a
    value or key is expected)."""

    def __init__(self, text: str):
        self.tokens = _lex(text)
        self.pos = 0

    def peek(self, as_value: bool = True) -> tuple[int, str]:
        return self._as(self.tokens[self.pos], as_value)

    def take(self, as_value: bool = True) -> tuple[int, str]:
        tok = self.tokens[self.pos]
        self.pos += 1
        return self._as(tok, as_value)

    @staticmethod
    def _as(tok: tuple[int, str], as_value: bool) -> tuple[int, str]:
        if as_value and tok[0] in (_T_IN, _T_NOTIN):
            return _T_ID, tok[1]
        return tok

    def parse(self) -> list[tuple[str, str, tuple[str, ...]]]:
        reqs = []
        while True:
            tok, lit = self.peek()
            if tok in (_T_ID, _T_NOT):
                try:
                    reqs.append(self.requirement())
                except _SyntaxError as e:
                    raise _SyntaxError(f"unable to parse requirement: {e}") from None
                tok, lit = self.take()
                if tok == _T_END:
                    return reqs
                if tok != _T_COMMA:
                    raise _SyntaxError(f"found '{lit}', expected: ',' or 'end of string'")
                tok2, lit2 = self.peek()
                if tok2 not in (_T_ID, _T_NOT):
                    raise _SyntaxError(f"found '{lit2}', expected: identifier after ','")
            elif tok == _T_END:
                return reqs
            else:
                raise _SyntaxError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> tuple[str, str, tuple[str, ...]]:
        op = ""
        tok, lit = self.take()
        if tok == _T_NOT:
            op = DOES_NOT_EXIST
            tok, lit = self.take()
        if tok != _T_ID:
            raise _SyntaxError(f"found '{lit}', expected: identifier")
        key = lit
        key_errs = label_key_errors(key)
        if key_errs:
            raise _SyntaxError(str(errors.invalid("<nil>", key, "; ".join(key_errs))))
        if self.peek()[0] in (_T_END, _T_COMMA) and op != DOES_NOT_EXIST:
            op = EXISTS
        if op in (EXISTS, DOES_NOT_EXIST):
            return key, op, ()
        tok, lit = self.take(as_value=False)
        op = {_T_IN: IN, _T_NOTIN: NOT_IN, _T_EQ: EQUALS, _T_DEQ: DOUBLE_EQUALS, _T_NEQ: NOT_EQUALS,
              _T_GT: GREATER_THAN, _T_LT: LESS_THAN}.get(tok, "")
        if not op:
            raise _SyntaxError(f"found '{lit}', expected: {', '.join(_OPERATOR_NAMES)}")
        values = self.value_set() if op in (IN, NOT_IN) else self.exact_value()
        ordered = sorted(values)
        errs = _requirement_errors(key, op, ordered, "")
        if errs:
            raise _SyntaxError(_aggregate(errs))
        return key, op, tuple(ordered)

    def value_set(self) -> set[str]:
        tok, lit = self.take()
        if tok != _T_OPEN:
            raise _SyntaxError(f"found '{lit}' expected: '('")
        tok, lit = self.peek()
        if tok == _T_CLOSE:
            self.take()
            return {""}
        if tok not in (_T_ID, _T_COMMA):
            raise _SyntaxError(f"found '{lit}', expected: ',', ')' or identifier")
        values = self.identifiers()
        self.take()  # the ')' identifiers() stopped at
        return values

    def identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.take()
            if tok == _T_ID:
                values.add(lit)
                tok2, lit2 = self.peek()
                if tok2 == _T_CLOSE:
                    return values
                if tok2 != _T_COMMA:
                    raise _SyntaxError(f"found '{lit2}', expected: ',' or ')'")
            elif tok == _T_COMMA:
                # Empty entries (`(,a)`, `(a,)`, `(a,,b)`) stand for the empty value.
                if not values:
                    values.add("")
                tok2 = self.peek()[0]
                if tok2 == _T_CLOSE:
                    values.add("")
                    return values
                if tok2 == _T_COMMA:
                    values.add("")
            else:
                raise _SyntaxError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        if self.peek()[0] in (_T_END, _T_COMMA):
            return {""}
        tok, lit = self.take()
        if tok == _T_ID:
            return {lit}
        raise _SyntaxError(f"found '{lit}', expected: identifier")


def parse_label_selector(text: str) -> LabelSelector:
    """Parse kubectl's `-l` syntax (`a=b,c!=d,e in (f,g),h notin (i),j,!k,l>5`); "" selects everything.

    A malformed selector is a 400 BadRequest with apimachinery's message."""
    try:
        reqs = _Parser(text).parse()
    except _SyntaxError as e:
        raise errors.bad_request(str(e)) from None
    return LabelSelector(reqs) if reqs else EVERYTHING


_EXPRESSION_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def from_label_selector_object(obj: dict | None) -> LabelSelector:
    """A metav1.LabelSelector (`matchLabels`, `matchExpressions`) as a selector, like
    LabelSelectorAsSelector: None selects nothing, `{}` selects everything."""
    if obj is None:
        return NOTHING
    match_labels = obj.get("matchLabels") or {}
    expressions = obj.get("matchExpressions") or []
    if not match_labels and not expressions:
        return EVERYTHING
    reqs = []
    for key, value in match_labels.items():
        errs = _requirement_errors(key, EQUALS, [value], "")
        if errs:
            raise errors.bad_request(_aggregate(errs))
        reqs.append((key, EQUALS, (value,)))
    for expr in expressions:
        operator = expr.get("operator")
        op = _EXPRESSION_OPERATORS.get(operator)
        if op is None:
            raise errors.bad_request(f'"{operator}" is not a valid label selector operator')
        values = list(expr.get("values") or [])
        errs = _requirement_errors(expr.get("key", ""), op, values, "")
        if errs:
            raise errors.bad_request(_aggregate(errs))
        reqs.append((expr.get("key", ""), op, tuple(values)))
    return LabelSelector(reqs)


def validate_label_selector_object(obj: dict | None, path: str) -> list[FieldError]:
    """ValidateLabelSelector: field errors for a metav1.LabelSelector found at `path`."""
    errs: list[FieldError] = []
    if obj is None:
        return errs
    labels_path = f"{path}.matchLabels"
    for key, value in (obj.get("matchLabels") or {}).items():
        errs.extend(errors.invalid(labels_path, key, msg) for msg in label_key_errors(key))
        if isinstance(value, str):
            errs.extend(errors.invalid(labels_path, value, msg) for msg in label_value_errors(value))
    for i, expr in enumerate(obj.get("matchExpressions") or []):
        expr_path = f"{path}.matchExpressions[{i}]"
        operator = expr.get("operator")
        values = expr.get("values") or []
        if operator in ("In", "NotIn"):
            if not values:
                errs.append(errors.required(f"{expr_path}.values",
                                            "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errs.append(errors.forbidden(f"{expr_path}.values",
                                             "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            errs.append(errors.invalid(f"{expr_path}.operator", operator, "not a valid selector operator"))
        key = expr.get("key", "")
        errs.extend(errors.invalid(f"{expr_path}.key", key, msg) for msg in label_key_errors(key))
        for j, value in enumerate(values):
            if isinstance(value, str):
                errs.extend(errors.invalid(f"{expr_path}.values[{j}]", value, msg)
                            for msg in label_value_errors(value))
    return errs


def from_set(labels: dict | None) -> LabelSelector:
    """An equality selector for every `key: value` (SelectorFromSet); an empty set selects everything.
    Like upstream it does not validate the set."""
    if not labels:
        return EVERYTHING
    return LabelSelector((k, EQUALS, (v,)) for k, v in labels.items())


# -- field selectors -------------------------------------------------------------------------

# Fields whose selectable value is not simply the value at the dotted path.
_FIELD_PATHS = {
    "source": ("source", "component"),
    "reportingComponent": ("reportingController",),
}
# Selectable fields the API server renders from a bool/int that defaults when unset.
_FIELD_DEFAULTS = {
    "spec.hostNetwork": "false",
    "spec.unschedulable": "false",
    "status.replicas": "0",
    "status.successful": "0",
}


def _field_text(value: object, default: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return default if isinstance(value, (dict, list)) else str(value)


def _escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape_field_value(value: str) -> str:
    if not any(c in value for c in "\\,="):
        return value
    out = []
    escaped = False
    for c in value:
        if escaped:
            if c not in "\\,=":
                raise errors.bad_request(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        elif c in ",=":
            raise errors.bad_request(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if escaped:
        raise errors.bad_request("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


class FieldSelector:
    """A conjunction of `field=value` / `field!=value` terms over an object's selectable fields.

    `requirements` are `(field, op, value)` with op `=` or `!=` (`==` is stored as `=`)."""

    __slots__ = ("requirements", "_compiled")

    def __init__(self, requirements: Iterable[tuple[str, str, str]] = ()):
        self.requirements = tuple((f, "!=" if op == "!=" else "=", v) for f, op, v in requirements)
        self._compiled = tuple(
            (_FIELD_PATHS.get(f) or tuple(f.split(".")), _FIELD_DEFAULTS.get(f, ""), op == "!=", v)
            for f, op, v in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, obj: dict) -> bool:
        for path, default, negate, want in self._compiled:
            cur: object = obj
            for part in path:
                if not isinstance(cur, dict):
                    cur = None
                    break
                cur = cur.get(part)
            if (_field_text(cur, default) == want) == negate:
                return False
        return True

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{_escape_field_value(v)}" for f, op, v in self.requirements)

    def __repr__(self) -> str:
        return f"FieldSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSelector):
            return NotImplemented
        return self.requirements == other.requirements

    def __hash__(self) -> int:
        return hash(self.requirements)


def _split_terms(text: str) -> list[str]:
    terms, start, escaped = [], 0, False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
    return None


def parse_field_selector(text: str) -> FieldSelector:
    """Parse `--field-selector` syntax (`a=b,c!=d`, `==` too; `\\,` `\\=` `\\\\` escape values)."""
    reqs = []
    for term in sorted(_split_terms(text)) if text else ():
        if not term:
            continue
        parts = _split_term(term)
        if parts is None:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        field, op, raw = parts
        reqs.append((field, op, _unescape_field_value(raw)))
    return FieldSelector(reqs)


_META_FIELDS = frozenset({"metadata.name", "metadata.namespace"})
_SUPPORTED_FIELDS: dict[str, frozenset[str]] = {
    "Pod": _META_FIELDS | {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                           "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
                           "status.nominatedNodeName"},
    "Node": frozenset({"metadata.name", "spec.unschedulable"}),
    "ReplicationController": _META_FIELDS | {"status.replicas"},
    "Event": _META_FIELDS | {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                             "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                             "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
    "Namespace": frozenset({"metadata.name", "status.phase"}),
    "Secret": _META_FIELDS | {"type"},
    "Service": _META_FIELDS | {"spec.clusterIP", "spec.type"},
    "Job": _META_FIELDS | {"status.successful"},
    "StatefulSet": _META_FIELDS | {"status.successful"},
}


def supported_fields(kind: str) -> set[str]:
    """The field labels kube-apiserver accepts in field selectors for `kind`."""
    return set(_SUPPORTED_FIELDS.get(kind, _META_FIELDS))


def _unsupported_message(kind: str, field: str) -> str:
    if kind == "Job":
        return f'field label "{field}" not supported for batchv1.Job'
    if kind == "StatefulSet":
        return f"field label not supported for appsv1.StatefulSet: {field}"
    if kind in _SUPPORTED_FIELDS:
        return f"field label not supported: {field}"
    return f'"{field}" is not a known field selector: only "metadata.name", "metadata.namespace"'


def validate_field_selector(kind: str, sel: FieldSelector) -> None:
    """Reject (400 BadRequest) a field the API server cannot select `kind` objects by."""
    allowed = _SUPPORTED_FIELDS.get(kind, _META_FIELDS)
    for field, _, _ in sel.requirements:
        if field not in allowed:
            raise errors.bad_request(_unsupported_message(kind, field))
