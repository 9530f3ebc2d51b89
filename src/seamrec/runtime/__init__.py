"""What runs inside the tests: instrumentation of the boundary modules (import hook,
static classification, alias redirection, wrappers), the session and its tape that
record, check or replay each crossing call, and rebuilding recorded values."""
