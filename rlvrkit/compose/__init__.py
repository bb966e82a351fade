"""`rlvr compose`: Composition-RL's sequential prompt composition, by rules with exact arithmetic. No torch here (a
model, for the optional --llm, is reached through the rollout engine and imported only then).

options.py     ComposeOptions (no sympy, so --help stays light)
run.py         run_compose: the paper's pair sampling, the stream, the counts
spc.py         the plan of a chain (Chain, Junction), its text, meta and record
answers.py     step 1: an exact value from a problem's answer, by rule, and the sentence that defines it
numbers.py     step 2: the numeric constants of a problem, which one may be replaced, written back exactly
values.py      exact values (sympy) of small LaTeX: parsing and writing
selfcheck.py   the exact check every composed prompt passes before it is written
phrase.py      --llm: a local model phrases the definitions; the rule still decides the value
"""
