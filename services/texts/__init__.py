"""Every text people receive, and the only place it is written: template files per language
in templates/<language>/ (alerts, and notices such as a leader's alert, an activation request
or a warning, under notices/), and the SMS segment rules they are all held to."""
