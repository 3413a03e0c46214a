package dev.drrn.demo

import java.io.File
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/**
 * The committed model cards (app/src/main/assets/\*.json, written by `drrn export`) parse, and
 * cards the app cannot use are refused with a one-line reason. The assets folder is the system
 * property drrn.assets (default: ../app/src/main/assets, Gradle's working directory being core/).
 */
class ModelCardTest {
    private val assets = File(System.getProperty("drrn.assets") ?: "../app/src/main/assets")

    private fun cards(): List<File> {
        val found = assets.listFiles { f -> f.name.endsWith(".json") }?.sortedBy { it.name } ?: emptyList()
        assertTrue("no model cards in $assets", found.isNotEmpty())
        return found
    }

    @Test
    fun committedCardsParseWithTheirOwnShapes() {
        for (file in cards()) {
            val text = file.readText()
            val card = ModelCard.parse(text)
            val e2e = JSONObject(text).getJSONObject("end_to_end")
            assertEquals(file.name, e2e.getJSONArray("lr_shape").getInt(0), card.tileHeight)
            assertEquals(file.name, listOf(1, card.tileHeight, card.tileWidth, 3), card.inputShape)
            assertEquals(file.name, listOf(1, card.tileHeight * card.scale, card.tileWidth * card.scale, 3), card.outputShape)
            assertTrue(file.name, card.scale in 2..4 && card.tileHaloLr > 0 && card.params > 0)
            assertEquals(file.name, "float32", card.ioDtype)
        }
    }

    @Test
    fun eachAssetHasTheQuantisationItsAcceleratorNeeds() {
        for (asset in ModelAsset.values()) {
            val card = ModelCard.parse(File(assets, asset.cardName).readText())
            assertEquals(asset.name, if (asset == ModelAsset.CPU_INT8) "int8" else "fp16", card.quantization)
        }
    }

    @Test
    fun unusableCardsAreRefusedWithAReason() {
        val good = JSONObject(cards().first().readText())
        fun refused(edit: (JSONObject) -> Unit, reason: String) {
            val card = JSONObject(good.toString())
            edit(card)
            try {
                ModelCard.parse(card.toString())
                fail("accepted a card that should fail with '$reason'")
            } catch (e: IllegalArgumentException) {
                assertTrue("'${e.message}' does not say '$reason'", e.message!!.contains(reason))
            }
        }
        refused({ it.remove("end_to_end") }, "not an end-to-end model")
        refused({ it.getJSONObject("end_to_end").put("io_dtype", "uint8") }, "--e2e-io float32")
        refused({ it.getJSONObject("end_to_end").put("scale", 5) }, "does not match x5")
        refused({ it.getJSONObject("end_to_end").put("tile_halo_lr", 1000) }, "too large")
    }
}
