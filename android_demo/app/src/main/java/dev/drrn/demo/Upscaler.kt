package dev.drrn.demo

import android.content.Context
import android.graphics.Bitmap
import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import com.google.ai.edge.litert.Environment
import com.google.ai.edge.litert.Model
import com.google.ai.edge.litert.TensorBuffer
import com.google.ai.edge.litert.TensorType

/**
 * One end-to-end DRRN model (LR RGB in, upscaled RGB out, float32 pixel values 0..255) compiled
 * with LiteRT's CompiledModel API for one accelerator, and the tiled upscaling around it.
 *
 * Why CompiledModel with float32 I/O: it is LiteRT's current API and the only one that serves
 * both the CPU (XNNPACK) and the GPU accelerator from one code path, but its TensorBuffer has no
 * UINT8 element type, so the export stage writes a float32-I/O variant of the end-to-end model
 * (`--e2e-io float32`); the int8 model quantizes inside the graph.
 */
class Upscaler private constructor(
    val source: ModelSource,
    val card: ModelCard,
    /** CPU threads asked for; null on the GPU. */
    val threads: Int?,
    private val env: Environment,
    private val model: CompiledModel,
) : AutoCloseable {
    private val inputs: List<TensorBuffer> = model.createInputBuffers()
    private val outputs: List<TensorBuffer> = model.createOutputBuffers()
    private val tileIn = FloatArray(card.tileHeight * card.tileWidth * 3)

    data class Result(val bitmap: Bitmap, val tiles: Int, val tileMs: List<Double>, val totalMs: Double)

    /** One inference on a tile of `tileHeight x tileWidth` RGB pixel values (HWC); returns the upscaled tile. */
    fun runTile(pixels: FloatArray): FloatArray {
        inputs[0].writeFloat(pixels)
        model.run(inputs, outputs)
        return outputs[0].readFloat()
    }

    /**
     * Upscales [bitmap] tile by tile (TilePlan, overlap card.tileHaloLr). Blocking: call it off the
     * UI thread. [isCancelled] is polled before every tile; [onTile] gets (done, total, ms).
     */
    fun upscale(bitmap: Bitmap, isCancelled: () -> Boolean, onTile: (Int, Int, Double) -> Unit): Result? {
        val h = bitmap.height
        val w = bitmap.width
        val s = card.scale
        val th = card.tileHeight
        val tw = card.tileWidth
        val src = IntArray(w * h)
        bitmap.getPixels(src, 0, w, 0, 0, w, h)
        val outW = w * s
        val out = IntArray(outW * h * s)
        val rows = TilePlan.axisPlan(h, th, card.tileHaloLr)
        val cols = TilePlan.axisPlan(w, tw, card.tileHaloLr)
        val total = rows.size * cols.size
        val tileMs = ArrayList<Double>(total)
        val started = System.nanoTime()
        var done = 0
        for (r in rows) {
            for (c in cols) {
                if (isCancelled()) return null
                Pixels.gatherTile(src, w, h, r.start, c.start, th, tw, tileIn)
                val t0 = System.nanoTime()
                val res = runTile(tileIn)
                val ms = (System.nanoTime() - t0) / 1e6
                tileMs.add(ms)
                Pixels.scatterTile(res, tw * s, s, r, c, out, outW)
                done += 1
                onTile(done, total, ms)
            }
        }
        val result = Bitmap.createBitmap(out, outW, h * s, Bitmap.Config.ARGB_8888)
        return Result(result, total, tileMs, (System.nanoTime() - started) / 1e6)
    }

    override fun close() {
        inputs.forEach { it.close() }
        outputs.forEach { it.close() }
        model.close()
        env.close()
    }

    companion object {
        /** Loads [source] and its card (from assets/, or beside a user's file: derived from the file if it has none),
         * checks the card against the model, compiles it. */
        fun open(context: Context, source: ModelSource, cpuThreads: Int): Upscaler {
            val card: ModelCard
            val model: Model
            when (source) {
                is ModelSource.Bundled -> {
                    card = context.assets.open(source.asset.cardName).bufferedReader().use { ModelCard.parse(it.readText()) }
                    model = Model.load(context.assets, source.fileName)
                }
                is ModelSource.UserFile -> {
                    card = if (source.card.isFile) ModelCard.parse(source.card.readText())
                    else ModelCard.derive(source.fileName, TfliteFacts.read(source.file.readBytes()))
                    model = Model.load(source.file.path)
                }
            }
            model.use { m ->
                checkTensor("input", m.getInputTensorType(card.inputName), card.inputShape, source)
                checkTensor("output", m.getOutputTensorType(card.outputName), card.outputShape, source)
            }
            val env = Environment.create()
            val gpu = source is ModelSource.Bundled && source.asset == ModelAsset.GPU_FP16
            val options = if (gpu) CompiledModel.Options(Accelerator.GPU) else CompiledModel.Options(Accelerator.CPU).apply {
                cpuOptions = CompiledModel.CpuOptions(numThreads = cpuThreads)
            }
            val compiled = try {
                when (source) {
                    is ModelSource.Bundled -> CompiledModel.create(context.assets, source.fileName, options, env)
                    is ModelSource.UserFile -> CompiledModel.create(source.file.path, options, env)
                }
            } catch (e: Exception) {
                env.close()
                throw e
            }
            return Upscaler(source, card, if (gpu) null else cpuThreads, env, compiled)
        }

        private fun checkTensor(what: String, type: TensorType, cardShape: List<Int>, source: ModelSource) {
            check(type.elementType == TensorType.ElementType.FLOAT) {
                "${source.fileName}: $what is ${type.elementType}, the card and the app expect FLOAT (export with --e2e-io float32)"
            }
            val dims = type.layout?.dimensions?.toList()
            check(dims == null || dims == cardShape) { "${source.fileName}: $what shape $dims, its model card says $cardShape" }
        }
    }
}
