"""API errors as kube-apiserver returns them: a v1 Status with reason, code and field causes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One field problem, rendered like apimachinery's field.Error (`path: Type: detail`)."""

    path: str
    type: str  # "Required value", "Invalid value", "Unsupported value", "Duplicate value", "Forbidden", "field not declared in schema", ...
    detail: str = ""
    value: object = None
    has_value: bool = False

    @property
    def reason(self) -> str:
        """The StatusCause reason, as upstream names it (FieldValueRequired, ...)."""
        return _CAUSE_REASONS.get(self.type, "FieldValueInvalid")

    def __str__(self) -> str:
        text = f"{self.path}: {self.type}"
        if self.has_value:
            text += f": {_fmt_value(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, "Required value", detail)


def invalid(path: str, value: object, detail: str) -> FieldError:
    return FieldError(path, "Invalid value", detail, value, True)


def unsupported(path: str, value: object, allowed: list[str]) -> FieldError:
    quoted = ", ".join(f'"{a}"' for a in allowed)
    return FieldError(path, "Unsupported value", f"supported values: {quoted}", value, True)


def duplicate(path: str, value: object) -> FieldError:
    return FieldError(path, "Duplicate value", "", value, True)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, "Forbidden", detail)


def unknown_field(path: str) -> FieldError:
    return FieldError(path, "field not declared in schema")


_CAUSE_REASONS = {
    "Required value": "FieldValueRequired",
    "Invalid value": "FieldValueInvalid",
    "Unsupported value": "FieldValueNotSupported",
    "Duplicate value": "FieldValueDuplicate",
    "Forbidden": "FieldValueForbidden",
    "Not found": "FieldValueNotFound",
    "Too long": "FieldValueTooLong",
    "Too many": "FieldValueTooMany",
    "field not declared in schema": "FieldValueInvalid",
}


def _fmt_value(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


@dataclass
class ApiError(Exception):
    """An error the API server answers with; `status()` is the v1 Status object kubectl prints."""

    code: int
    reason: str
    message: str
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    def status(self) -> dict:
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            status["details"] = self.details
        return status


def _qualified(kind_plural: str, group: str) -> str:
    return f"{kind_plural}.{group}" if group else kind_plural


def not_found(plural: str, group: str, name: str) -> ApiError:
    what = _qualified(plural, group)
    return ApiError(404, "NotFound", f'{what} "{name}" not found',
                    {"name": name, "group": group, "kind": plural})


def already_exists(plural: str, group: str, name: str) -> ApiError:
    what = _qualified(plural, group)
    return ApiError(409, "AlreadyExists", f'{what} "{name}" already exists',
                    {"name": name, "group": group, "kind": plural})


def conflict(plural: str, group: str, name: str, why: str) -> ApiError:
    what = _qualified(plural, group)
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {what} "{name}": {why}',
                    {"name": name, "group": group, "kind": plural})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def forbidden_error(message: str) -> ApiError:
    return ApiError(403, "Forbidden", message)


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def invalid_object(kind: str, group: str, name: str, errors: list[FieldError]) -> ApiError:
    """422 Invalid, message formatted as kube-apiserver does: `Kind "name" is invalid: [a, b]`."""
    texts = [str(e) for e in errors]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    what = f"{kind}.{group}" if group else kind
    message = f'{what} "{name}" is invalid: {joined}'
    causes = [{"reason": e.reason, "message": e.type + (f": {e.detail}" if e.detail else ""), "field": e.path}
              for e in errors]
    return ApiError(422, "Invalid", message,
                    {"name": name, "group": group, "kind": kind, "causes": causes})


def etcd_unavailable() -> ApiError:
    """What a write gets while etcd has no quorum (kube-apiserver passes etcd's error on)."""
    return ApiError(500, "InternalError", "etcdserver: request timed out")


def apiserver_unreachable(address: str) -> ApiError:
    """No kube-apiserver is running: the request never reaches one (kubectl's wording)."""
    return ApiError(503, "ServiceUnavailable",
                    f"The connection to the server {address}:6443 was refused - did you specify the right host or port?")
