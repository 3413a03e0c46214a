"""What a picture carries besides its pixels: colour profile, EXIF, XMP, and its JPEG quality.

``read_image`` fills an ``ImageMetadata`` from the input; ``write_image`` writes it into the output
where the format holds it, so a photo keeps its colours (a Display-P3 or Adobe RGB profile) and its
camera, date and location fields.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ImageMetadata"]


@dataclass(frozen=True)
class ImageMetadata:
    """Metadata of a read image. ``exif``: the EXIF block (TIFF-structured bytes, as Pillow's
    ``Image.Exif.tobytes`` gives them); ``jpeg_quality``: the IJG quality a JPEG's tables match."""

    format: str
    icc: bytes | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    jpeg_quality: int | None = None
