"""`rlvr train`: policy updates from verified rollouts. Read top to bottom:

loop.py     run_train: set-up (options resolved, policy built, resume), the loop over batches, publishing versions
step.py     one batch: micro-batches, the forward pass, the loss, backward, the optimizer step
losses.py   the policy losses, one function, the equations in its docstring

and beside them: options.py (TrainConfig, TrainOptions, resume's merge of settings; each loss's defaults are in
rlvrkit.recipes), batch.py (records to padded tensors), policy.py (the model, its optimizer and reference),
state.py (what a version saves besides the policy), dist.py (torchrun).
"""
