"""One command over many databases: Astegni's named targets, and fleets of same-schema databases.

``expand`` lists a fleet's members (a file, or a query on a catalog database);
``runner`` runs a command on each database with bounded concurrency, isolating
failures; ``report`` folds their reports into one that owns one exit code and
groups its JSON and JUnit by target. Scaling past one machine is left to the CI
system (a matrix job per shard, docs/fleets.md), not to a scheduler here.
"""
