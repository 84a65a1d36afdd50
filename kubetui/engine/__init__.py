"""The simulated cluster: store, API server, scheduler, controllers and nodes on a virtual clock."""
