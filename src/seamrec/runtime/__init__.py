"""What runs inside the tests: instrumentation of the boundary modules (import hook,
static classification, alias redirection, wrappers); the session (the run's lifecycle)
handing each crossing call to the strategy of the run's mode (`recording`, `checking`,
`replaying`, sharing `strategy`), with the async and generator `proxies`; the `tape` of a
test's calls, what it is checked against (`expected`) and its `verdict`; the `writer` of
finished tests' cassettes; and rebuilding recorded values."""
