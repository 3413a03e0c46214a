package dev.drrn.demo

import org.json.JSONObject

/**
 * What the app needs from the model card the export stage writes beside every model
 * (`drrn export ... --e2e-scale S --shape HxW --e2e-io float32`). Nothing here is a constant
 * duplicated from Python: shapes, dtypes, scale and tile overlap all come from the card, and
 * [Upscaler] checks them against the model's own tensor types.
 */
data class ModelCard(
    val sourceModel: String,
    val quantization: String,
    val params: Int,
    val scale: Int,
    val tileHeight: Int,
    val tileWidth: Int,
    val tileHaloLr: Int,
    val ioDtype: String,
    val inputName: String,
    val outputName: String,
    val inputShape: List<Int>,
    val outputShape: List<Int>
) {
    companion object {
        /**
         * The card of a user's end-to-end model that came without one, from the file itself: shapes,
         * pixel type and signature names from its tensors, the tile overlap from its convolutions.
         */
        fun derive(name: String, facts: TfliteFacts): ModelCard {
            val inShape = facts.input.shape
            val outShape = facts.output.shape
            require(inShape.size == 4 && inShape[3] == 3 && outShape.size == 4 && outShape[3] == 3) {
                "$name takes $inShape and gives $outShape: not an end-to-end RGB model (drrn export MODEL --e2e-scale S --shape HxW --e2e-io float32)"
            }
            require(inShape[1] > 0 && inShape[2] > 0) { "$name has an open input shape; export it with a fixed --shape HxW" }
            val scale = outShape[1] / inShape[1]
            require(scale in 2..4 && outShape[1] == scale * inShape[1] && outShape[2] == scale * inShape[2]) {
                "$name: input $inShape, output $outShape: not a x2/x3/x4 upscaler"
            }
            val card = ModelCard(
                sourceModel = name,
                quantization = facts.quantization,
                params = facts.params.toInt(),
                scale = scale,
                tileHeight = inShape[1],
                tileWidth = inShape[2],
                tileHaloLr = TfliteFacts.lrHalo(facts.radius, scale),
                ioDtype = facts.input.dtype,
                inputName = facts.input.name,
                outputName = facts.output.name,
                inputShape = inShape,
                outputShape = outShape
            )
            card.validate()
            return card
        }

        /** Parses a card; throws IllegalArgumentException with a one-line reason if it is not an end-to-end card. */
        fun parse(json: String): ModelCard {
            val root = JSONObject(json)
            val e2e = root.optJSONObject("end_to_end")
                ?: throw IllegalArgumentException("model card has no end_to_end section: not an end-to-end model")
            val lrShape = e2e.getJSONArray("lr_shape")
            val input = root.getJSONArray("inputs").getJSONObject(0)
            val output = root.getJSONArray("outputs").getJSONObject(0)
            fun shape(t: JSONObject): List<Int> {
                val a = t.getJSONArray("shape")
                return List(a.length()) { a.getInt(it) }
            }
            val card = ModelCard(
                sourceModel = root.getString("source_model"),
                quantization = root.getString("quantization"),
                params = root.getInt("params"),
                scale = e2e.getInt("scale"),
                tileHeight = lrShape.getInt(0),
                tileWidth = lrShape.getInt(1),
                tileHaloLr = e2e.getInt("tile_halo_lr"),
                ioDtype = e2e.getString("io_dtype"),
                inputName = input.getString("signature_name"),
                outputName = output.getString("signature_name"),
                inputShape = shape(input),
                outputShape = shape(output)
            )
            card.validate()
            return card
        }
    }

    private fun validate() {
        require(ioDtype == "float32") {
            "$ioDtype pixels; CompiledModel's TensorBuffer has no UINT8 type, export with --e2e-io float32"
        }
        require(inputShape == listOf(1, tileHeight, tileWidth, 3)) { "model card: input shape $inputShape is not [1, $tileHeight, $tileWidth, 3]" }
        require(outputShape == listOf(1, tileHeight * scale, tileWidth * scale, 3)) { "model card: output shape $outputShape does not match x$scale" }
        require(2 * tileHaloLr < minOf(tileHeight, tileWidth)) { "model card: tile_halo_lr $tileHaloLr too large for $tileHeight x $tileWidth tiles" }
    }
}
