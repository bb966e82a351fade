"""`rlvr steps`: expert solutions split into step-wise SRL training records. No torch here.

options.py  StepsOptions
split.py    where a solution is cut into steps (numbered, paragraphs, sentences; never inside math)
run.py      run_steps: one record per step after the first
"""
