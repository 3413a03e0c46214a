"""The network in Keras: the recursive block, the DRRN model and its baselines, presets, structural statistics, loading any --model, the Keras tile engine and runtime choice."""
