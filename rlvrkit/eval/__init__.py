"""Evaluation: `rlvr eval` samples benchmarks with the rollout engine, verifies with rlvr verify's code, and reports.

metrics.py  avg@n, pass@k, maj@k, the paired bootstrap: pure functions of correctness tables
votes.py    answer clusters for maj@k (answers the verifier calls equal vote together)
report.py   samples → one result per benchmark; two runs → paired differences; the table on stderr
run.py      the command: live sampling, --from-samples, --compare
"""
