"""The pytest plugin: hooks, the `seams` fixture and `assert_matches`, failure messages
and the terminal summary, what happens when a run ends."""
