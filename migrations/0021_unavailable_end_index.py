"""An index on the unavailable intervals' (teacher, end). Since they became any
from–to range (several days, or from a time on one day to a time on another), the
availability page lists the teacher's ranges that have not ended yet
(UnavailableInterval.upcoming: end > now) and the monthly clean-up removes the
ended ones (end < the month's start): both now read through this index instead of
every interval the teacher ever had. The ranges themselves needed no new column:
start and end were already moments in UTC."""


def upgrade(database):
    # Named as peewee names the index of UnavailableInterval.Meta.indexes in a fresh
    # database.
    database.execute_sql('CREATE INDEX unavailableinterval_teacher_id_end '
                         'ON unavailable_intervals (teacher_id, "end")')
