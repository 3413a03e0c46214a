"""Files and images: atomic writes and output checks, image reading and writing, where the standard image sets live (numpy, Pillow, OpenCV; no TensorFlow)."""
