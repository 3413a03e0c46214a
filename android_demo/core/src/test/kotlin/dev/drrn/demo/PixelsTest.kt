package dev.drrn.demo

import java.util.Random
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test

/**
 * Gather -> model -> scatter over a whole tile plan, with a nearest-neighbour "model" standing in
 * for the network: the stitched output must be exactly the nearest-neighbour upscale of the
 * image, every output pixel written, at every scale, for images smaller and larger than a tile.
 */
class PixelsTest {
    private fun nearest(tile: FloatArray, th: Int, tw: Int, s: Int): FloatArray {
        val out = FloatArray(th * s * tw * s * 3)
        for (y in 0 until th * s) for (x in 0 until tw * s) for (c in 0 until 3) {
            out[(y * tw * s + x) * 3 + c] = tile[((y / s) * tw + x / s) * 3 + c]
        }
        return out
    }

    private fun upscaleTiled(src: IntArray, w: Int, h: Int, th: Int, tw: Int, halo: Int, s: Int): IntArray {
        val out = IntArray(w * s * h * s)
        val tile = FloatArray(th * tw * 3)
        for (r in TilePlan.axisPlan(h, th, halo)) for (c in TilePlan.axisPlan(w, tw, halo)) {
            Pixels.gatherTile(src, w, h, r.start, c.start, th, tw, tile)
            Pixels.scatterTile(nearest(tile, th, tw, s), tw * s, s, r, c, out, w * s)
        }
        return out
    }

    @Test
    fun tiledRoundTripIsSeamlessAtEveryScale() {
        val random = Random(7)
        for ((w, h) in listOf(Pair(37, 23), Pair(5, 3), Pair(16, 16), Pair(50, 17))) {
            val src = IntArray(w * h) { Pixels.argb(random.nextInt(256), random.nextInt(256), random.nextInt(256)) }
            for (s in 2..4) {
                val got = upscaleTiled(src, w, h, 16, 12, 3, s)
                val expected = IntArray(w * s * h * s) { i -> src[(i / (w * s)) / s * w + (i % (w * s)) / s] }
                assertArrayEquals("${w}x$h x$s", expected, got)
            }
        }
    }

    @Test
    fun gatherMirrorsPastTheEdgesAndDropsAlpha() {
        val src = intArrayOf(Pixels.argb(1, 2, 3) and 0x00FFFFFF, Pixels.argb(4, 5, 6)) // 2x1, first one transparent
        val tile = FloatArray(1 * 4 * 3)
        Pixels.gatherTile(src, 2, 1, 0, -1, 1, 4, tile) // columns -1, 0, 1, 2 -> 0, 0, 1, 1
        assertArrayEquals(floatArrayOf(1f, 2f, 3f, 1f, 2f, 3f, 4f, 5f, 6f, 4f, 5f, 6f), tile, 0f)
    }

    @Test
    fun channelsAreClampedToEightBits() {
        assertEquals(listOf(0, 0, 12, 255, 255), listOf(-3f, 0f, 12.9f, 255f, 300f).map { Pixels.channel(it) })
        assertEquals(0xFF0A141E.toInt(), Pixels.argb(10, 20, 30))
    }
}
