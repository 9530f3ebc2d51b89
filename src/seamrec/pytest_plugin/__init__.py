"""The pytest plugin: `hooks` (the entry point, light to import: `options` and `stash`),
the `roles` the hooks delegate to, the `seams` fixture and `assert_matches` (`matching`),
failure messages and the terminal summary (`report`), what happens when a run ends
(`run_end`)."""
