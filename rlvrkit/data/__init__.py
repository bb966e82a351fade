"""Prompt-making commands: new training data from the data you have. No torch here (a model, for the optional --llm
modes, is reached through the rollout engine and imported only then).

compose.py     Composition-RL's sequential prompt composition (rlvr compose)
numbers.py     finding the numeric constants of a problem and replacing one, exact values with sympy
steps.py       SRL: expert solutions split into step-wise training examples (rlvr steps)
mask.py        Golden Goose: multiple-choice fill-in-the-middle items from unverifiable text (rlvr mask)
distractors.py wrong-but-plausible options for mask
"""
