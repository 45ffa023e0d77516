"""`astegni-db plan`: from drift back to the spec, by migrations safe on a busy table.

planner.py decides (one method per object kind), probes.py asks the data the
bounded questions the decisions need, steps.py turns steps into migration
files, run.py reads, checks and writes, report.py shows it all.
"""
