"""Prompt-making commands: new training data from the data you have. No torch here (a model, for the optional --llm
modes, is reached through the rollout engine and imported only then).

options.py     what compose and steps are asked (no sympy, so --help stays light)
compose.py     rlvr compose: the paper's pair sampling, the stream, the counts
spc.py         Composition-RL's sequential prompt composition: the plan of a chain, its text, meta and record
answers.py     step 1: an exact value from a problem's answer, by rule, and the sentence that defines it
numbers.py     step 2: the numeric constants of a problem, which one may be replaced, written back exactly
values.py      exact values (sympy) of small LaTeX: parsing and writing
latex.py       where a text's math, environments and figure code are
selfcheck.py   the exact check every composed prompt passes before it is written
phrase.py      compose --llm: a local model phrases the definitions; the rule still decides the value
steps.py       SRL: expert solutions split into step-wise training examples (rlvr steps)
records.py     what the prompt makers ask of their input records
mask.py        Golden Goose: multiple-choice fill-in-the-middle items from unverifiable text (rlvr mask)
distractors.py wrong-but-plausible options for mask
"""
