"""The inbox in the app: reading what notify.enqueue kept for a user, and the files
the jobs made. Writing goes through notify.enqueue only."""
from tutor.models import InboxItem, StoredFile, utcnow


class NotYours(Exception):
    """No such item or file of this user's: the same answer either way."""


def mark_read(user, item_id, now=None):
    """Marks one of `user`'s items read; returns it. Reading it twice changes nothing."""
    item = InboxItem.get_or_none((InboxItem.id == item_id) & (InboxItem.user == user))
    if item is None:
        raise NotYours(item_id)
    if item.read_at is None:
        item.read_at = now or utcnow()
        (InboxItem
         .update(read_at=item.read_at)
         .where((InboxItem.id == item.id) & InboxItem.read_at.is_null())
         .execute())
    return item


def mark_all_read(user, now=None):
    """Every unread item of `user`'s read now; returns how many."""
    return (InboxItem
            .update(read_at=now or utcnow())
            .where((InboxItem.user == user) & InboxItem.read_at.is_null())
            .execute())


def files_of(items):
    """{item id: [its files, without their content]} for a page of items."""
    ids = [item.id for item in items]
    found = {item_id: [] for item_id in ids}
    if ids:
        for stored in StoredFile.listed().where(StoredFile.item.in_(ids)).order_by(StoredFile.id):
            found[stored.item_id].append(stored)
    return found


def file_for(user, token):
    """The file named by `token`, if `user` owns it."""
    stored = StoredFile.get_or_none((StoredFile.token == token) & (StoredFile.owner == user))
    if stored is None:
        raise NotYours(token)
    return stored
