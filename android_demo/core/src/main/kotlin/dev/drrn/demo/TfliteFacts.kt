package dev.drrn.demo

import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * What a .tflite file says about itself, read from its flatbuffer: the convolutions of its first
 * subgraph, hence the receptive radius (how far tiles must overlap), the parameter count and the
 * weights' quantisation. The same facts as web_demo/tflite_facts.js and Python's
 * drrn_tf_export.artefact.tflite_facts, for a user's model that comes without its card.
 */
data class TfliteFacts(
    val radius: Int,
    val params: Long,
    val quantization: String,
    val convolutions: Int,
    val input: Tensor,
    val output: Tensor
) {
    /** A model input or output: its signature name (what CompiledModel looks it up by), shape and element type. */
    data class Tensor(val name: String, val shape: List<Int>, val dtype: String)

    companion object {
        private const val CONV_2D = 3
        private const val DEPTHWISE_CONV_2D = 4
        private val TYPES = mapOf(0 to "float32", 1 to "float16", 2 to "int32", 3 to "uint8", 7 to "int16", 9 to "int8")

        /** Reads [bytes]; throws IllegalArgumentException with a one-line reason if they are not a TFLite model. */
        fun read(bytes: ByteArray): TfliteFacts {
            require(bytes.size >= 8 && String(bytes, 4, 4, Charsets.US_ASCII) == "TFL3") { "not a TFLite file (no TFL3 identifier)" }
            val buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
            val model = Table(buf, buf.getInt(0))
            val codes = model.tables(1).map { maxOf(it.int(0, 1), it.int(3, 4)) }
            val graph = model.tables(2).firstOrNull() ?: throw IllegalArgumentException("the model has no subgraph")
            val tensors = graph.tables(0)
            var radius = 0
            var params = 0L
            var convs = 0
            val counted = HashSet<Int>()
            val kernelTypes = HashSet<String?>()
            val activationTypes = HashSet<String?>()
            for (op in graph.tables(3)) {
                val code = codes[op.int(0, 4)]
                if (code != CONV_2D && code != DEPTHWISE_CONV_2D) continue
                val depthwise = code == DEPTHWISE_CONV_2D
                val inputs = op.ints(1)
                val opts = op.table(4)
                val dilationW = opts?.int(if (depthwise) 5 else 4, 4, 1) ?: 1
                val dilationH = opts?.int(if (depthwise) 6 else 5, 4, 1) ?: 1
                val kernel = tensors[inputs[1]]
                val shape = kernel.ints(0)
                radius += maxOf((shape[1] - 1) / 2 * dilationH, (shape[2] - 1) / 2 * dilationW)
                for (i in inputs.drop(1).take(2)) {  // kernel and bias, counted once however many ops share them
                    if (i >= 0 && counted.add(i)) params += tensors[i].ints(0).fold(1L) { a, b -> a * b }
                }
                kernelTypes.add(TYPES[kernel.uint8(1)])
                activationTypes.add(TYPES[tensors[op.ints(2)[0]].uint8(1)])
                convs += 1
            }
            val quantization = when {
                "int16" in activationTypes -> "int16x8"
                "int8" in activationTypes -> "int8"
                "int8" in kernelTypes -> "dynamic"
                tensors.any { it.uint8(1) == 1 } -> "fp16"
                else -> "none"
            }
            val ins = graph.ints(1)
            val outs = graph.ints(2)
            require(ins.size == 1 && outs.size == 1) { "the model has ${ins.size} inputs and ${outs.size} outputs; expected 1 and 1" }
            // signature_defs[0]: inputs/outputs as (name, tensor index) maps
            val signature = model.tables(7).firstOrNull()
                ?: throw IllegalArgumentException("the model has no signature (CompiledModel finds its tensors by signature names): export it with drrn export")
            fun tensor(index: Int, field: Int): Tensor {
                val t = tensors[index]
                val sig = t.ints(7)
                val name = signature.tables(field).firstOrNull { it.int(1, 4) == index }?.string(0)
                    ?: throw IllegalArgumentException("the model's signature does not name its ${if (field == 0) "input" else "output"}")
                return Tensor(name, if (sig.isNotEmpty()) sig else t.ints(0), TYPES[t.uint8(1)] ?: "type ${t.uint8(1)}")
            }
            return TfliteFacts(radius, params, quantization, convs, tensor(ins[0], 0), tensor(outs[0], 1))
        }

        /** LR pixels of overlap an end-to-end tile needs: drrn_tf.inference.tiling.lr_halo. */
        fun lrHalo(radius: Int, scale: Int): Int = (radius + scale - 1) / scale + 2
    }

    private class Table(val buf: ByteBuffer, val pos: Int) {
        private val vtable = pos - buf.getInt(pos)
        private val vsize = buf.getShort(vtable).toInt() and 0xffff

        private fun offset(field: Int): Int {
            val at = 4 + 2 * field
            return if (at < vsize) buf.getShort(vtable + at).toInt() and 0xffff else 0
        }

        fun int(field: Int, size: Int, fallback: Int = 0): Int {
            val o = offset(field)
            if (o == 0) return fallback
            return when (size) {
                1 -> buf.get(pos + o).toInt()
                2 -> buf.getShort(pos + o).toInt()
                else -> buf.getInt(pos + o)
            }
        }

        fun uint8(field: Int): Int {
            val o = offset(field)
            return if (o == 0) 0 else buf.get(pos + o).toInt() and 0xff
        }

        fun table(field: Int): Table? {
            val o = offset(field)
            if (o == 0) return null
            val p = pos + o
            return Table(buf, p + buf.getInt(p))
        }

        private fun vector(field: Int): Pair<Int, Int> {
            val o = offset(field)
            if (o == 0) return 0 to 0
            val p = pos + o
            val start = p + buf.getInt(p)
            return (start + 4) to buf.getInt(start)
        }

        fun ints(field: Int): List<Int> {
            val (start, n) = vector(field)
            return List(n) { buf.getInt(start + 4 * it) }
        }

        fun string(field: Int): String {
            val (start, n) = vector(field)
            return if (n == 0) "" else String(buf.array(), start, n, Charsets.UTF_8)
        }

        fun tables(field: Int): List<Table> {
            val (start, n) = vector(field)
            return List(n) { val p = start + 4 * it; Table(buf, p + buf.getInt(p)) }
        }
    }
}
