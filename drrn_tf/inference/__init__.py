"""Running a network over a picture of any size in plain numpy: tile plans, tile engines and their memory budget, the streaming upscaler, the CPU it runs on (no TensorFlow)."""
