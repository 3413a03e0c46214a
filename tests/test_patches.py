"""The tf.data patch pipeline: exact patches, the 8 variants, determinism, resumption."""

import numpy as np
import pytest

from drrn_tf.errors import InputError
from drrn_tf.protocol.evaluation import bicubic_input
from drrn_tf.training.data import PatchSource, dihedral_offsets, load_luminance_folder


@pytest.fixture(scope="module")
def source(data_dir):
    ys, names = load_luminance_folder(data_dir / "Set5")
    return PatchSource(ys[:3], scales=(2, 3), patch=31, names=names[:3])


def test_pairs_follow_the_protocol(source, data_dir):
    ys, _ = load_luminance_folder(data_dir / "Set5")
    e = source.entries[1]  # first image, x3
    hr, up = bicubic_input(ys[0], e.scale)
    assert (e.height, e.width) == hr.shape
    flat = slice(e.offset, e.offset + hr.size)
    np.testing.assert_array_equal(source.hr[flat], hr.astype(np.float32).ravel())
    np.testing.assert_array_equal(source.lr[flat], up.astype(np.float32).ravel())


def test_variants_are_the_eight_flips_and_rotations():
    dy, dx = dihedral_offsets(5)
    base = np.arange(25).reshape(5, 5)
    got = {tuple(base[dy[v], dx[v]].ravel()) for v in range(8)}
    expected = set()
    for k in range(4):
        r = np.rot90(base, k)
        expected |= {tuple(r.ravel()), tuple(r[:, ::-1].ravel())}
    assert got == expected and len(got) == 8
    np.testing.assert_array_equal(base[dy[0], dx[0]], base)


@pytest.mark.parametrize("mode", ["random", "grid"])
def test_batches_are_exact_deterministic_and_resumable(source, mode):
    ds = source.dataset(8, seed=7, mode=mode)
    batches = [(np.asarray(lr), np.asarray(hr)) for lr, hr in ds.take(4)]
    again = [(np.asarray(lr), np.asarray(hr)) for lr, hr in source.dataset(8, seed=7, mode=mode).take(4)]
    for (a, b), (c, d) in zip(batches, again):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    resumed = [(np.asarray(lr), np.asarray(hr)) for lr, hr in source.dataset(8, seed=7, mode=mode, start_step=2).take(2)]
    np.testing.assert_array_equal(resumed[0][0], batches[2][0])
    np.testing.assert_array_equal(resumed[1][1], batches[3][1])
    other = np.asarray(next(iter(source.dataset(8, seed=8, mode=mode)))[0])
    assert not np.array_equal(other, batches[0][0])
    lr, hr = batches[0]
    assert lr.shape == hr.shape == (8, 31, 31, 1) and lr.dtype == np.float32
    # Every patch is a real (LR-up, HR) pair: close but not equal.
    assert 0 < np.abs(lr - hr).mean() < 0.1


def test_a_teacher_replaces_or_blends_the_targets(data_dir):
    ys, names = load_luminance_folder(data_dir / "Set5")
    source = PatchSource(ys[:2], scales=(2, 3), patch=31, names=names[:2])
    seen = []

    def teacher(up):  # any (h, w) -> (h, w) map; out of [0, 1] on purpose
        seen.append(up.shape)
        return 2.0 * up - 0.25

    _, hr = source.extract(1, 5, 7, 3)  # before any teacher: the HR patch
    outputs = source.teach(teacher)
    assert seen == [(e.height, e.width) for e in source.entries]  # each LR-up image whole, in order
    np.testing.assert_array_equal(outputs, np.clip(2.0 * source.lr - 0.25, 0.0, 1.0))
    batch = [np.asarray(t) for t in next(iter(source.dataset(4, seed=3, mode="random")))]
    source.distil(outputs, weight=1.0)
    distilled = [np.asarray(t) for t in next(iter(source.dataset(4, seed=3, mode="random")))]
    np.testing.assert_array_equal(distilled[0], batch[0])  # same inputs ...
    np.testing.assert_array_equal(distilled[1], np.clip(2.0 * batch[0] - 0.25, 0.0, 1.0))  # ... the teacher's targets
    source.distil(outputs, weight=0.25)
    lr, target = source.extract(1, 5, 7, 3)
    np.testing.assert_allclose(target, 0.75 * hr + 0.25 * np.clip(2 * lr - 0.25, 0, 1), atol=1e-6)
    with pytest.raises(ValueError, match="weight must be > 0"):
        source.distil(outputs, weight=0.0)
    with pytest.raises(ValueError, match="teacher outputs hold"):
        source.distil(outputs[:-1])
    with pytest.raises(ValueError, match="the teacher returned shape"):
        source.teach(lambda up: up[:-1])


def test_grid_pass_visits_every_patch_and_variant_once(source):
    n = source.patches_per_pass(21)
    assert n == 8 * len(source.grid(21))
    lr_all = np.concatenate([np.asarray(lr) for lr, _ in source.dataset(n // 4, seed=1, mode="grid", stride=21).take(4)])
    # Reference: every grid patch in every variant, gathered with numpy.
    ref = {}
    for e, y, x in source.grid(21):
        for v in range(8):
            lr, _ = source.extract(e, y, x, v)
            ref.setdefault(lr.tobytes(), 0)
            ref[lr.tobytes()] += 1
    seen = {}
    for p in lr_all[..., 0]:
        seen.setdefault(p.tobytes(), 0)
        seen[p.tobytes()] += 1
    assert seen == ref


def test_small_images_are_skipped_with_a_warning():
    big = np.full((64, 64), 128, np.uint8)
    small = np.full((40, 90), 128, np.uint8)  # modcrop keeps >= 39 rows at every scale
    tiny = np.full((20, 200), 128, np.uint8)  # 20 rows: too small at every scale
    with pytest.warns(UserWarning, match="skipped 3 image/scale pairs"):
        src = PatchSource([big, small, tiny], scales=(2, 3, 4), names=["big", "small", "tiny"])
    assert src.num_entries == 6
    with pytest.raises(InputError, match="no training image"), pytest.warns(UserWarning):
        PatchSource([tiny], scales=(2,))


def test_tfds_source_equals_folder_source(tmp_path, data_dir):
    from_tfds = PatchSource.from_tfds("set14", manual_dir=data_dir, data_dir=str(tmp_path), scales=(3,))
    from_folder = PatchSource.from_folder(data_dir / "Set14", scales=(3,))
    assert [e.name for e in from_tfds.entries] == [e.name for e in from_folder.entries]
    np.testing.assert_array_equal(from_tfds.hr, from_folder.hr)  # bridge.png (gray) included
    np.testing.assert_array_equal(from_tfds.lr, from_folder.lr)
