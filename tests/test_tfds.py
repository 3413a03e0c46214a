"""The tensorflow-datasets builder serves the local image sets."""

import numpy as np
import tensorflow_datasets as tfds

from drrn_tf.io.images import read_image
from drrn_tf.training.tfds import SrImageSets


def test_builds_set14_from_manual_dir(tmp_path, data_dir):
    builder = SrImageSets(config="set14", data_dir=str(tmp_path))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(data_dir)))
    examples = {ex["filename"].decode(): ex for ex in tfds.as_numpy(builder.as_dataset(split="test"))}
    assert len(examples) == 14
    bridge = examples["bridge.png"]
    assert bridge["grayscale"]  # stored as one channel
    np.testing.assert_array_equal(bridge["image"][..., 0], read_image(data_dir / "Set14" / "bridge.png").pixels)
    zebra = examples["zebra.png"]
    assert not zebra["grayscale"]
    np.testing.assert_array_equal(zebra["image"], read_image(data_dir / "Set14" / "zebra.png").pixels)
    assert "manual" in SrImageSets.MANUAL_DOWNLOAD_INSTRUCTIONS
