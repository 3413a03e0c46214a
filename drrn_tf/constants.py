"""The package's fixed vocabularies, defined once. No imports: any module (and ``drrn --help``) may use them."""

__all__ = ["SCALES", "RUNTIMES", "MAX_PIXELS", "METRICS", "DEFAULT_METRICS"]

# Upscaling factors: the paper trains and evaluates one network for x2, x3 and x4.
SCALES = (2, 3, 4)

# Where the network runs: "auto" picks (drrn_tf.nn.runtimes); "keras" is TensorFlow float32, the paper-exact
# reference; "keras-bf16" the same with bfloat16 maths (fast on CPUs with AMX); "litert" a quantised LiteRT export, shipped with the trained presets or made (and cached) by
# the export stage, which registers it as the "litert" entry of the drrn_tf.runtimes entry-point group.
RUNTIMES = ("auto", "keras", "keras-bf16", "litert")

# Images whose header claims more pixels are refused before decoding (--max-pixels raises it):
# a 17000x17000 PNG (289 M) is refused; a 14000x14000 one (196 M) is not.
MAX_PIXELS = 200_000_000

# Scores of `drrn eval`: the paper's PSNR and SSIM tables (the default), and its IFC table.
METRICS = ("psnr", "ssim", "ifc")
DEFAULT_METRICS = ("psnr", "ssim")
