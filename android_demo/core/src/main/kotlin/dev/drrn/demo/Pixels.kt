package dev.drrn.demo

/**
 * Pixel packing between Android's ARGB_8888 ints and the end-to-end model's float32 HWC RGB
 * tensors (pixel values 0..255), for one tile of a [TilePlan]. No android.* here: the JVM tests
 * (core/src/test) run it as the app does.
 */
object Pixels {
    /**
     * Fills [dst] (tileH * tileW * 3 floats, HWC RGB) with the tile of [src] (w * h ARGB ints,
     * row-major) whose top-left corner is (top, left); rows and columns past the image are
     * mirrored symmetrically, as the tile plan assumes. Alpha is dropped.
     */
    fun gatherTile(src: IntArray, w: Int, h: Int, top: Int, left: Int, tileH: Int, tileW: Int, dst: FloatArray) {
        require(src.size == w * h) { "source has ${src.size} pixels, not $w x $h" }
        require(dst.size == tileH * tileW * 3) { "tile buffer has ${dst.size} floats, not $tileH x $tileW x 3" }
        for (y in 0 until tileH) {
            val row = TilePlan.symmetricIndex(top + y, h) * w
            for (x in 0 until tileW) {
                val p = src[row + TilePlan.symmetricIndex(left + x, w)]
                val i = (y * tileW + x) * 3
                dst[i] = ((p shr 16) and 0xFF).toFloat()
                dst[i + 1] = ((p shr 8) and 0xFF).toFloat()
                dst[i + 2] = (p and 0xFF).toFloat()
            }
        }
    }

    /**
     * Writes the part of an upscaled tile [res] (HWC RGB floats, rows of [resW] pixels; a tile
     * padded past a short image has more rows than its span) that the tile owns -- rows.ownStart..ownStop and cols.ownStart..ownStop,
     * times [scale] -- into [out] (opaque ARGB ints, [outW] per row).
     */
    fun scatterTile(res: FloatArray, resW: Int, scale: Int, rows: Span, cols: Span, out: IntArray, outW: Int) {
        require(res.size >= (rows.ownStop - rows.start) * scale * resW * 3) { "result has ${res.size} floats, fewer than the tile's" }
        for (y in rows.ownStart * scale until rows.ownStop * scale) {
            val ty = y - rows.start * scale
            for (x in cols.ownStart * scale until cols.ownStop * scale) {
                val i = (ty * resW + (x - cols.start * scale)) * 3
                out[y * outW + x] = argb(channel(res[i]), channel(res[i + 1]), channel(res[i + 2]))
            }
        }
    }

    /** A model output value as an 8-bit channel: the model already rounds and clips; this truncates and clamps. */
    fun channel(v: Float): Int = v.toInt().coerceIn(0, 255)

    fun argb(r: Int, g: Int, b: Int): Int = (0xFF shl 24) or (r shl 16) or (g shl 8) or b
}
