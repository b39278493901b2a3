"""The data set: photos from packages (collect), dead-leaves tiles (dead_leaves), degraded pairs
through `ram degrade` (pairs), and what training reads from them (sampling)."""

# The task of every training pair, in the order of --task-weights. "clean" is the identity task
# (data.pairs): the input is the clean crop itself, including the "looks degraded" clean variants
# (dark, low-contrast, desaturated), so the network learns to leave undegraded photos alone.
TASKS = ("noise", "rain", "haze", "blur", "lowlight", "clean")
