"""Training: the run configuration, the tf.data patch pipeline, the paper's recipe (loss, optimiser, schedule), callbacks, distillation, TFDS sets and the trainer."""
