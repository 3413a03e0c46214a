package dev.drrn.demo

import java.io.File
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/**
 * A user's model without its card: what the app reads from the file itself is what the card the
 * export stage wrote says, for every bundled model (receptive field, tile overlap, shapes, pixel
 * type, signature names, quantisation), so the card a bundled model ships with could be dropped.
 */
class TfliteFactsTest {
    private val assets = File(System.getProperty("drrn.assets") ?: "../app/src/main/assets")

    @Test
    fun factsReadFromTheFileMatchTheExportersCard() {
        val models = assets.listFiles { f -> f.name.endsWith(".tflite") }?.sortedBy { it.name } ?: emptyList()
        assertTrue("no models in $assets", models.isNotEmpty())
        for (model in models) {
            val text = File(assets, model.name.removeSuffix(".tflite") + ".json").readText()
            val json = JSONObject(text)
            val facts = TfliteFacts.read(model.readBytes())
            assertEquals(model.name, json.getInt("receptive_field"), 2 * facts.radius + 1)
            assertEquals(model.name, json.getString("quantization"), facts.quantization)
            val given = ModelCard.parse(text)
            val derived = ModelCard.derive(model.name, facts)
            assertEquals(model.name, given.copy(sourceModel = model.name, params = derived.params), derived)
            assertTrue(model.name, derived.params >= given.params)  // the graph may hold per-op int8 biases
        }
    }

    @Test
    fun notAModelOrNotAnEndToEndModelIsRefusedWithItsReason() {
        try {
            TfliteFacts.read("not a flatbuffer at all".toByteArray())
            fail("text accepted as a model")
        } catch (e: IllegalArgumentException) {
            assertTrue(e.message!!, e.message!!.contains("TFL3"))
        }
        val rgb = TfliteFacts.Tensor("x", listOf(1, 40, 40, 3), "float32")
        val y = TfliteFacts.Tensor("y", listOf(1, 40, 40, 1), "float32")
        val cases = mapOf(
            "not an end-to-end RGB model" to TfliteFacts(6, 10, "int8", 6, y, y),
            "not a x2/x3/x4 upscaler" to TfliteFacts(6, 10, "int8", 6, rgb, rgb),
            "open input shape" to TfliteFacts(6, 10, "int8", 6, rgb.copy(shape = listOf(1, -1, -1, 3)), rgb.copy(shape = listOf(1, -1, -1, 3))),
            "UINT8" to TfliteFacts(6, 10, "int8", 6, rgb.copy(dtype = "uint8"), rgb.copy(shape = listOf(1, 80, 80, 3), dtype = "uint8")),
            "too large" to TfliteFacts(60, 10, "int8", 6, rgb, rgb.copy(shape = listOf(1, 80, 80, 3)))
        )
        for ((reason, facts) in cases) {
            try {
                ModelCard.derive("mine.tflite", facts)
                fail("accepted: $reason")
            } catch (e: IllegalArgumentException) {
                assertTrue("${e.message} should say $reason", e.message!!.contains(reason))
            }
        }
    }
}
