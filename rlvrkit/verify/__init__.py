"""Rewards for rollouts: `rlvr verify` checks each completion against its reference answer.

Read in this order: options (the reward terms and `VerifyOptions`), text (cheap text surgery: caps, think block,
final box or `####` line, e-notation, the parts of a reference),
the verifiers — maths (math-verify), mcq (option letters), srl (step similarity), shaping (format, length) —, jobs
(what the parent settles and what it asks a worker), pool (killable worker processes), run (the ordered stream).
Only maths imports math-verify and sympy, and only when a math verdict may be needed.
"""
