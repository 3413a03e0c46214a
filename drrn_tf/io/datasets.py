"""Where the standard image sets live: the folder ``$DRRN_DATA`` names (else a ``shared/data`` folder beside the working directory or the source tree).

``resolve_dataset("set5")`` gives ``("Set5", Path(".../Set5"))``; any folder path works
too and is named after the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from drrn_tf.errors import InputError

__all__ = ["KNOWN_SETS", "data_root", "resolve_dataset"]

# Lower-case name -> folder name (as published).
KNOWN_SETS = {
    "set5": "Set5",
    "set14": "Set14",
    "bsd100": "BSD100",
    "urban100": "Urban100",
    "train291": "train291",
}


def skimage_photos(names: list[str], dest: Path) -> Path:
    """Copy scikit-image's sample photos ``names`` (shipped inside its wheel) into the folder ``dest``:
    the embedded default data of a machine that has no image set."""
    import shutil

    import skimage

    from drrn_tf.errors import MissingPackageData

    src = Path(skimage.__file__).parent / "data"
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        if not (src / name).is_file():
            raise MissingPackageData(f"{src / name}: scikit-image sample photo missing (reinstall scikit-image)")
        shutil.copyfile(src / name, dest / name)
    return dest


def data_root() -> Path | None:
    """``$DRRN_DATA`` if set, else the first ``../shared/data`` found from the working directory or the source tree."""
    env = os.environ.get("DRRN_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    for cand in (Path.cwd() / ".." / "shared" / "data", repo.parent / "shared" / "data"):
        if cand.is_dir():
            return cand.resolve()
    return None


def resolve_dataset(name_or_path: str) -> tuple[str, Path]:
    """(display name, folder) for a known set name or a folder path."""
    key = name_or_path.lower()
    if key in KNOWN_SETS:
        root = data_root()
        if root is None:
            raise InputError(f"dataset '{name_or_path}': no data folder found; set DRRN_DATA to the folder holding {KNOWN_SETS[key]}/ or pass a folder path")
        folder = root / KNOWN_SETS[key]
        if not folder.is_dir():
            raise InputError(f"dataset '{name_or_path}': {folder} does not exist")
        return KNOWN_SETS[key], folder
    path = Path(name_or_path)
    if path.is_dir():
        return path.resolve().name, path
    if path.exists():
        raise InputError(f"{path}: not a folder (a dataset is a folder of images)")
    raise InputError(f"{name_or_path}: no such folder and not a known dataset ({', '.join(KNOWN_SETS)})")
