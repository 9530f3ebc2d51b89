"""What people read: contracts, how seams changed and why (explain), renderers, show,
map, stale cassettes, git revisions, audit, OpenAPI, and the `seamrec` command."""
