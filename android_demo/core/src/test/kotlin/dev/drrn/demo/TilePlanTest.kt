package dev.drrn.demo

import org.json.JSONArray
import org.junit.Assert.assertEquals
import org.junit.Test

/**
 * The tile plan against the cases Python wrote from drrn_tf.inference.tiling.axis_plan
 * (tile_plan_cases.json; tests/test_android_contract.py keeps that file true to Python).
 */
class TilePlanTest {
    private val cases = JSONArray(javaClass.getResource("/tile_plan_cases.json")!!.readText())

    @Test
    fun axisPlanMatchesPython() {
        for (k in 0 until cases.length()) {
            val case = cases.getJSONObject(k)
            val expected = case.getJSONArray("spans")
            val got = TilePlan.axisPlan(case.getInt("n"), case.getInt("window"), case.getInt("halo"))
            assertEquals("case $case", expected.length(), got.size)
            for (i in 0 until expected.length()) {
                val e = expected.getJSONArray(i)
                assertEquals("case $case span $i", Span(e.getInt(0), e.getInt(1), e.getInt(2), e.getInt(3)), got[i])
            }
        }
    }

    @Test
    fun symmetricIndexMirrorsLikeNumpy() {
        // == numpy.pad(np.arange(3), (4, 4), mode="symmetric")
        val expected = listOf(2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0)
        assertEquals(expected, (-4 until 7).map { TilePlan.symmetricIndex(it, 3) })
    }
}
