"""The super-resolution image sets as ``tensorflow-datasets`` datasets (manual download).

Usage::

    import tensorflow_datasets as tfds
    from drrn_tf.training.tfds import SrImageSets     # registers "sr_image_sets"

    ds = tfds.load("sr_image_sets/set5", split="test",
                   download_and_prepare_kwargs={"download_config":
                       tfds.download.DownloadConfig(manual_dir="/path/to/data")})

``manual_dir`` holds one folder per set, named as published: ``Set5/``, ``Set14/``,
``BSD100/``, ``Urban100/``, ``train291/`` (the ``$DRRN_DATA`` layout). Each example
has the HR ``image`` (uint8 RGB; single-channel files are repeated to 3 channels and
flagged ``grayscale=True``, so the evaluation protocol can use them as Y directly)
and its ``filename``.
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

from drrn_tf.io.datasets import KNOWN_SETS
from drrn_tf.io.images import list_images, read_image
from drrn_tf.protocol.matlab import im2uint8

__all__ = ["SrImageSets"]

_SPLITS = {"train291": "train"}  # the others are test sets

_MANUAL = """\
Place the image sets in the manual folder, one sub-folder per set:
  Set5/, Set14/, BSD100/, Urban100/  -- HR test images (PNG). Public copies: the GitHub
      repositories jbhuang0604/SelfExSR (data/<Set>/image_SRF_*/*_HR.png, Urban100's
      authors) and majedelhelou/denoising_datasets (CSet5/, CSet14/).
  train291/  -- the 291 training images (Yang et al.'s 91 + 200 BSD300 train images).
      Public copies: jiny2001/dcscn-super-resolution (data/yang91/, data/bsd200/) or the
      authors' tyshiwo/DRRN_CVPR17 (data/Train_291/, pre-augmented).
A folder that ``drrn eval --data`` reads (``$DRRN_DATA``) already has this layout.
"""


class SrImageSets(tfds.core.GeneratorBasedBuilder):
    """Standard super-resolution HR image sets (Set5, Set14, BSD100, Urban100, train291)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=key, description=f"{folder} HR images") for key, folder in KNOWN_SETS.items()]

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description="HR images of a standard super-resolution benchmark or training set.",
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(None, None, 3), dtype=np.uint8),
                    "grayscale": np.bool_,
                    "filename": tfds.features.Text(),
                }
            ),
            supervised_keys=None,
            homepage="https://github.com/tyshiwo/DRRN_CVPR17",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        folder = dl_manager.manual_dir / KNOWN_SETS[self.builder_config.name]
        return {_SPLITS.get(self.builder_config.name, "test"): self._generate_examples(folder)}

    def _generate_examples(self, folder):
        for path in list_images(folder):
            pixels = im2uint8(read_image(path).pixels)
            gray = pixels.ndim == 2
            rgb = np.repeat(pixels[..., None], 3, axis=2) if gray else pixels[..., :3]
            yield path.name, {"image": rgb, "grayscale": gray, "filename": path.name}
