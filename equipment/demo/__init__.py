"""The demo: the Suffolk seed service and months of realistic history."""
