"""`rlvr mask`: Golden Goose's multiple-choice fill-in-the-middle items from text nobody can verify. No torch here (a
model, for the optional --llm, is reached through the rollout engine and imported only then).

options.py      MaskOptions and the option letters
run.py          run_mask: spans tried per source, distractors chosen, the yield reported
spans.py        the text cut into steps, and the rules a hidden span of steps must keep
distractors.py  wrong-but-plausible options made by rule, and the gate every option passes
arithmetic.py   the numbers in solution text and exact arithmetic of its simple expressions
opposites.py    the word pairs a prose swap exchanges
items.py        the source (Doc), the item (Item) and the prompt record it becomes
llm.py          --llm: the paper's pipeline, a model choosing the span and writing distractors, held to the rules
"""
