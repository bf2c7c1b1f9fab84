"""The audit log: who did what to which record, when, and how it looked before and
after. Every administrative action writes one entry; the teacher browses them."""
import json
from dataclasses import dataclass

from playhouse.shortcuts import model_to_dict

from tutor.models import AuditEntry

# Never written to the log, whatever the record (a form's data may be passed as is).
SECRET_FIELDS = {"password_hash", "reset_version", "telegram_chat_id", "csrf_token"}


def record(actor, action, target=None, before=None, after=None):
    """Write one entry. `target` is a model instance (its table and id are kept, not a
    reference, so the entry outlives it) or None; `before`/`after` are dicts (see
    snapshot) or None. Returns the entry."""
    return AuditEntry.create(
        actor=actor.id if actor is not None else None,
        action=action,
        target_type=target._meta.table_name if target is not None else None,
        target_id=target.id if target is not None else None,
        before=_dump(before),
        after=_dump(after),
    )


def snapshot(instance, only=None):
    """A record's fields as a JSON-ready dict (foreign keys as ids), without secrets;
    `only` limits it to some field names."""
    data = model_to_dict(instance, recurse=False)
    data = {name: value for name, value in data.items() if name not in SECRET_FIELDS}
    if only is not None:
        data = {name: data[name] for name in only}
    return _plain(data)


def changes(before, after):
    """Only the fields that differ: (before, after), each a dict."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def actions():
    """Every action the log holds, for the filter."""
    return [row.action for row in (AuditEntry
                                   .select(AuditEntry.action)
                                   .distinct()
                                   .order_by(AuditEntry.action))]


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object


def readable(entry):
    """The entry's fields as Change rows: each field that is in before or after."""
    before, after = _load(entry.before), _load(entry.after)
    fields = list(before) + [key for key in after if key not in before]
    return [Change(key, before.get(key), after.get(key)) for key in fields]


def _plain(data):
    # Dates, times and decimals as strings: what json.dumps(default=str) writes,
    # so a snapshot compares equal to the stored one.
    return json.loads(json.dumps(data, default=str))


def _dump(data):
    if data is None:
        return None
    data = {key: value for key, value in data.items() if key not in SECRET_FIELDS}
    return json.dumps(data, default=str, ensure_ascii=False, sort_keys=True)


def _load(text):
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {"value": value}

