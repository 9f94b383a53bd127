"""Every text people receive, and the only place it is written: alerts from the template
files in templates/<language>/, notices (a leader's alert, an activation request, warnings)
from the catalogue in notice_catalog.py, the SMS segment rules they are both held to."""
