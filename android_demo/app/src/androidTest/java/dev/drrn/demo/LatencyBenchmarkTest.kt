package dev.drrn.demo

import android.util.Log
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

/**
 * N warm inferences of one tile per model asset; logs median and p90 (tag DRRNBench):
 *
 *   ./gradlew connectedAndroidTest -Pandroid.testInstrumentationRunnerArguments.runs=50
 *   adb logcat -s DRRNBench
 */
@RunWith(AndroidJUnit4::class)
class LatencyBenchmarkTest {
    @Test
    fun warmTileLatency() {
        val context = InstrumentationRegistry.getInstrumentation().targetContext
        val args = InstrumentationRegistry.getArguments()
        val runs = args.getString("runs")?.toInt() ?: 30
        val warmup = args.getString("warmup")?.toInt() ?: 5
        val threads = Runtime.getRuntime().availableProcessors().coerceIn(1, 4)
        for (asset in ModelAsset.entries) {
            val upscaler = try {
                Upscaler.open(context, ModelSource.Bundled(asset), threads)
            } catch (e: Exception) {
                Log.w(TAG, "${asset.label}: not available on this device (${e.message})")
                continue
            }
            upscaler.use { u ->
                val tile = FloatArray(u.card.tileHeight * u.card.tileWidth * 3) { (it * 37 % 256).toFloat() }
                repeat(warmup) { u.runTile(tile) }
                val times = List(runs) {
                    val t0 = System.nanoTime()
                    val out = u.runTile(tile)
                    val ms = (System.nanoTime() - t0) / 1e6
                    assertTrue(out.size == u.card.outputShape.reduce(Int::times))
                    ms
                }.sorted()
                val median = times[(runs - 1) / 2]
                val p90 = times[minOf(runs - 1, Math.ceil(0.9 * runs).toInt() - 1)]
                Log.i(TAG, "${asset.label}: ${u.card.tileHeight}x${u.card.tileWidth} -> x${u.card.scale}, ${u.threads ?: "GPU"} threads, " +
                    "median %.2f ms, p90 %.2f ms over $runs runs".format(median, p90))
                assertTrue(median > 0)
            }
        }
    }

    companion object {
        const val TAG = "DRRNBench"
    }
}
