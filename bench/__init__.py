"""The benchmark: baseline apps, a loader, wrk scripts and the runner behind `make bench`."""
