"""The command line: `flask --app wsgi seed | migrate | users | stock ...`."""
