"""The paper's evaluation protocol in plain numpy: MATLAB-exact bicubic and colour conversion, PSNR/SSIM, IFC, the evaluation loop and comparison figures (no TensorFlow)."""
