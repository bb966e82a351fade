"""`rlvr select-one`: the training example worth most, from a training history (one-sample RL). No torch here (a
model, for --by skills, is reached through the rollout engine and imported only then).

options.py  SelectOneOptions
scores.py   the scores, pure functions of a history: variance (1-shot RLVR), LIMR's learning impact, pass rate
skills.py   --by skills: salient skills a local model tags (polymath learning)
run.py      run_select_one: the history read, scored, ranked, the chosen records written
"""
