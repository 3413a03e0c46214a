package dev.drrn.demo

import android.content.Context
import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.Rect
import android.graphics.RectF
import android.util.AttributeSet
import android.view.View

/** The bicubic-looking "before" (the LR photo stretched with filtering) and DRRN's "after", split at [fraction]. */
class BeforeAfterView @JvmOverloads constructor(context: Context, attrs: AttributeSet? = null) : View(context, attrs) {
    private val filtered = Paint(Paint.FILTER_BITMAP_FLAG)
    private val line = Paint().apply { color = Color.WHITE; strokeWidth = 3f }
    private var before: Bitmap? = null
    private var after: Bitmap? = null

    /** Share of the width (0..1) that shows "before", from the left. */
    var fraction: Float = 0.5f
        set(value) {
            field = value.coerceIn(0f, 1f)
            invalidate()
        }

    fun show(lowRes: Bitmap, upscaled: Bitmap) {
        before = lowRes
        after = upscaled
        invalidate()
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        val a = after ?: return
        val b = before ?: return
        val fit = minOf(width.toFloat() / a.width, height.toFloat() / a.height)
        val dst = RectF(0f, 0f, a.width * fit, a.height * fit).apply { offset((width - width()) / 2, (height - height()) / 2) }
        val split = dst.left + dst.width() * fraction
        canvas.save()
        canvas.clipRect(dst.left, dst.top, split, dst.bottom)
        canvas.drawBitmap(b, Rect(0, 0, b.width, b.height), dst, filtered)
        canvas.restore()
        canvas.save()
        canvas.clipRect(split, dst.top, dst.right, dst.bottom)
        canvas.drawBitmap(a, Rect(0, 0, a.width, a.height), dst, filtered)
        canvas.restore()
        canvas.drawLine(split, dst.top, split, dst.bottom, line)
    }
}
