package dev.drrn.demo

/**
 * Seamless tiling, the same rules as drrn_tf/inference/tiling.py (axis_plan) and web_demo/tiling.js:
 * windows of `window` pixels, consecutive ones `window - 2*halo` apart, the last one flush with the
 * end; each window owns the output from where the previous one stopped up to `halo` pixels before
 * its own end (or the image end). An axis no longer than the window is one window, padded by
 * symmetric mirroring (numpy's "symmetric" mode) up to the model's fixed size.
 * tests/test_android_contract.py checks app/src/test/resources/tile_plan_cases.json against
 * Python; TilePlanTest checks this code against the same file.
 */
data class Span(val start: Int, val stop: Int, val ownStart: Int, val ownStop: Int)

object TilePlan {
    fun axisPlan(n: Int, window: Int, halo: Int): List<Span> {
        require(n >= 1) { "axis length must be >= 1, got $n" }
        if (n <= window) return listOf(Span(0, n, 0, n))
        val step = window - 2 * halo
        require(step >= 1) { "window $window must exceed twice the halo $halo" }
        val starts = (0 until n - window step step).toMutableList()
        starts.add(n - window)
        val spans = ArrayList<Span>(starts.size)
        var ownStart = 0
        for (s in starts) {
            val e = s + window
            val ownStop = if (e == n) n else e - halo
            spans.add(Span(s, e, ownStart, ownStop))
            ownStart = ownStop
        }
        return spans
    }

    /** Index into an axis of length n, mirrored symmetrically (edge pixel repeated) past either end. */
    fun symmetricIndex(i: Int, n: Int): Int {
        val period = 2 * n
        val j = ((i % period) + period) % period
        return if (j < n) j else period - 1 - j
    }
}
