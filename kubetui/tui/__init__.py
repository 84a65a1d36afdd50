"""The Textual front end: a live view of the simulated cluster, with keys to break and repair it."""
