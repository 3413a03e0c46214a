"""The paper's recipe pieces against hand computations (CaffeSGD leans on a private Keras hook)."""

import keras
import numpy as np
import pytest

from drrn_tf.training.recipe import CaffeSGD, EuclideanLoss


def _caffe_step(w, b, gw, gb, vel_w, vel_b, lr, clip_theta, l2, bias_mult, momentum):
    """One Caffe SGD step written out: clip the global norm to clip_theta/lr, add L2 decay,
    scale the bias gradient, then v = momentum v - lr g, w += v."""
    norm = np.sqrt((gw**2).sum() + (gb**2).sum())
    scale = min(1.0, (clip_theta / lr) / norm)
    gw, gb = gw * scale + l2 * w, (gb * scale + l2 * b) * bias_mult
    vel_w, vel_b = momentum * vel_w - lr * gw, momentum * vel_b - lr * gb
    return w + vel_w, b + vel_b, vel_w, vel_b


@pytest.mark.parametrize("clip_theta", [0.01, 10.0])  # the first clips these gradients, the second does not
def test_caffe_sgd_two_steps_match_the_hand_computation(clip_theta):
    lr, l2, bias_mult, momentum = 0.1, 1e-2, 0.1, 0.9
    w0, b0 = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32), np.array([0.3, -0.2], np.float32)
    kernel = keras.Variable(w0, name="kernel")
    bias = keras.Variable(b0, name="bias")
    opt = CaffeSGD(lr, momentum=momentum, l2=l2, clip_theta=clip_theta, bias_lr_mult=bias_mult)
    grads = [
        (np.array([[1.0, -2.0], [0.5, 3.0]], np.float32), np.array([4.0, -1.0], np.float32)),
        (np.array([[-0.5, 1.0], [2.0, 0.0]], np.float32), np.array([0.0, 2.0], np.float32)),
    ]
    w, b, vw, vb = w0.astype(np.float64), b0.astype(np.float64), 0.0, 0.0
    for gw, gb in grads:
        opt.apply_gradients([(gw, kernel), (gb, bias)])
        w, b, vw, vb = _caffe_step(w, b, gw.astype(np.float64), gb.astype(np.float64), vw, vb, lr, clip_theta, l2, bias_mult, momentum)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(kernel), w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(bias), b, rtol=1e-5, atol=1e-6)


def test_euclidean_loss_is_half_the_sum_of_squares_per_sample():
    y_true = np.zeros((2, 3, 3, 1), np.float32)
    y_pred = np.arange(18, dtype=np.float32).reshape(2, 3, 3, 1) / 10
    expected = np.mean([0.5 * (y_pred[i] ** 2).sum() for i in range(2)])
    assert float(EuclideanLoss()(y_true, y_pred)) == pytest.approx(expected, rel=1e-6)
