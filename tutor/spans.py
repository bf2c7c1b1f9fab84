"""When two stretches of time share a moment: the one rule, half-open (a lesson ending
at 11:00 and the next starting at 11:00 do not meet), for values and columns alike."""


def overlap(start, end, other_start, other_end):
    """Whether [start, end) and [other_start, other_end) share a moment. Given peewee
    fields it is the WHERE clause that says the same (`&` builds it; on plain values
    it is the boolean)."""
    return (start < other_end) & (other_start < end)
