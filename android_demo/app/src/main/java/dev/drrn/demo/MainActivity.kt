package dev.drrn.demo

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.ImageDecoder
import android.net.Uri
import android.os.Build
import android.os.Bundle
import android.view.View
import android.widget.AdapterView
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.ProgressBar
import android.widget.SeekBar
import android.widget.Spinner
import android.widget.TextView
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.lifecycleScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import kotlin.math.sqrt

/**
 * Pick a photo (system photo picker), upscale it on the phone with the selected accelerator, show
 * before/after with a slider and the inference time per tile and in total. All model work runs on
 * Dispatchers.Default; Cancel stops between tiles.
 */
class MainActivity : AppCompatActivity() {
    private lateinit var status: TextView
    private lateinit var progress: ProgressBar
    private lateinit var pick: Button
    private lateinit var cancel: Button
    private lateinit var compare: BeforeAfterView
    private var upscaler: Upscaler? = null
    private var job: Job? = null
    /** Held while a model is used or replaced: a cancelled upscale may still be inside a tile. */
    private val modelLock = Mutex()
    private val cpuThreads = Runtime.getRuntime().availableProcessors().coerceIn(1, 4)

    private val picker = registerForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) upscale(uri)
    }

    /** The models the spinner offers: the bundled ones, then the user's (see [ModelSource.UserFile]). */
    private val sources = ModelAsset.values().map { ModelSource.Bundled(it) as ModelSource }.toMutableList()
    private lateinit var spinner: Spinner

    /** "Your model…": a .tflite (and its .json card, if the user has it), copied into the app's own files. */
    private val modelPicker = registerForActivityResult(ActivityResultContracts.OpenMultipleDocuments()) { uris ->
        if (uris.isNotEmpty()) addUserModel(uris)
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        status = findViewById(R.id.status)
        progress = findViewById(R.id.progress)
        pick = findViewById(R.id.pick)
        cancel = findViewById(R.id.cancel)
        compare = findViewById(R.id.compare)
        spinner = findViewById(R.id.accelerator)
        // models pushed with adb into the app's folder, and those picked before
        for (dir in listOfNotNull(getExternalFilesDir(null), userModelDir())) {
            dir.listFiles { f -> f.name.endsWith(".tflite", ignoreCase = true) }?.sortedBy { it.name }?.forEach { sources.add(ModelSource.UserFile(it)) }
        }
        refreshSpinner()
        spinner.onItemSelectedListener = object : AdapterView.OnItemSelectedListener {
            override fun onItemSelected(parent: AdapterView<*>?, view: View?, position: Int, id: Long) = load(sources[position])
            override fun onNothingSelected(parent: AdapterView<*>?) = Unit
        }
        findViewById<Button>(R.id.own_model).setOnClickListener { modelPicker.launch(arrayOf("*/*")) }
        findViewById<SeekBar>(R.id.slider).setOnSeekBarChangeListener(object : SeekBar.OnSeekBarChangeListener {
            override fun onProgressChanged(bar: SeekBar, value: Int, fromUser: Boolean) {
                compare.fraction = value / 1000f
            }
            override fun onStartTrackingTouch(bar: SeekBar) = Unit
            override fun onStopTrackingTouch(bar: SeekBar) = Unit
        })
        pick.setOnClickListener {
            picker.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
        }
        cancel.setOnClickListener { job?.cancel() }
    }

    private fun userModelDir() = java.io.File(filesDir, "user_models").apply { mkdirs() }

    private fun refreshSpinner() {
        spinner.adapter = ArrayAdapter(this, android.R.layout.simple_spinner_dropdown_item, sources.map { it.label })
    }

    /** Copies the picked .tflite (and a .json card among the picked files) into the app's files and selects it. */
    private fun addUserModel(uris: List<Uri>) {
        lifecycleScope.launch {
            try {
                val added = withContext(Dispatchers.IO) {
                    val named = uris.map { safeName(displayName(it)) to it }
                    val (name, model) = named.firstOrNull { it.first.endsWith(".tflite", ignoreCase = true) }
                        ?: throw IllegalArgumentException("no .tflite among the picked files: pick a model made by drrn export --e2e-scale")
                    val stem = name.dropLast(".tflite".length)
                    val picked = named.firstOrNull { it.first.endsWith(".json", ignoreCase = true) }
                    // modelLock: the model now running may have been loaded from a file of the same name
                    modelLock.withLock {
                        val target = copyIn(model, java.io.File(userModelDir(), "$stem.tflite"))
                        val card = java.io.File(userModelDir(), "$stem.json")
                        if (picked != null) copyIn(picked.second, card)
                        else card.delete()  // a card from an earlier file of this name would not describe this one
                        ModelSource.UserFile(target)
                    }
                }
                sources.removeAll { it is ModelSource.UserFile && it.file == added.file }
                sources.add(added)
                refreshSpinner()
                spinner.setSelection(sources.size - 1)  // triggers load()
            } catch (e: Exception) {
                status.text = "Cannot add the model: ${e.message}"
            }
        }
    }

    /** Copies [uri] to [target] through a temporary file beside it, then renames it into place. */
    private fun copyIn(uri: Uri, target: java.io.File): java.io.File {
        val tmp = java.io.File(target.parentFile, ".${target.name}.part")
        val input = contentResolver.openInputStream(uri) ?: throw IllegalArgumentException("cannot read ${target.name}")
        input.use { src -> tmp.outputStream().use { src.copyTo(it) } }
        if (!tmp.renameTo(target)) {
            tmp.delete()
            throw IllegalStateException("cannot store ${target.name} in the app's files")
        }
        return target
    }

    /** A file name safe to create in the app's folder: the last path part, odd characters replaced. */
    private fun safeName(name: String): String = java.io.File(name).name.replace(Regex("[^A-Za-z0-9._-]"), "_").ifEmpty { "model.tflite" }

    private fun displayName(uri: Uri): String =
        contentResolver.query(uri, arrayOf(android.provider.OpenableColumns.DISPLAY_NAME), null, null, null)?.use { c ->
            if (c.moveToFirst()) c.getString(0) else null
        } ?: uri.lastPathSegment ?: "model.tflite"

    /** (Re)compiles the model of [source] off the UI thread. */
    private fun load(source: ModelSource) {
        job?.cancel()
        pick.isEnabled = false
        status.text = "Loading ${source.fileName}…"
        job = lifecycleScope.launch {
            val old = upscaler
            upscaler = null
            try {
                val fresh = withContext(Dispatchers.Default) {
                    modelLock.withLock {
                        old?.close()
                        Upscaler.open(applicationContext, source, cpuThreads)
                    }
                }
                upscaler = fresh
                val c = fresh.card
                status.text = "Ready: ${c.sourceModel} x${c.scale}, ${source.label}, ${threadsText(fresh)}, " +
                    "tiles of ${c.tileHeight}x${c.tileWidth} LR pixels."
                pick.isEnabled = true
            } catch (e: Exception) {
                status.text = "Cannot use ${source.fileName}: ${e.message}"
            }
        }
    }

    private fun threadsText(u: Upscaler) = u.threads?.let { "$it CPU threads" } ?: "GPU"

    private fun upscale(uri: Uri) {
        val u = upscaler ?: return
        job?.cancel()
        pick.isEnabled = false
        cancel.isEnabled = true
        progress.progress = 0
        progress.visibility = View.VISIBLE
        job = lifecycleScope.launch {
            try {
                val (photo, note) = withContext(Dispatchers.IO) { decode(uri) }
                val ctx = coroutineContext
                val result = withContext(Dispatchers.Default) {
                    modelLock.withLock {
                        u.upscale(photo, isCancelled = { !ctx.isActive }) { done, total, ms ->
                            lifecycleScope.launch {
                                progress.progress = done * 1000 / total
                                status.text = "Tile $done/$total: ${"%.0f".format(ms)} ms"
                            }
                        }
                    }
                }
                if (result == null) {
                    status.text = "Cancelled."
                } else {
                    compare.show(photo, result.bitmap)
                    val sorted = result.tileMs.sorted()
                    status.text = buildString {
                        append("${photo.width}x${photo.height} → ${result.bitmap.width}x${result.bitmap.height}")
                        if (note != null) append(" ($note)")
                        append("\n${result.tiles} tiles, inference per tile: median ${"%.1f".format(sorted[(sorted.size - 1) / 2])} ms")
                        append(", total ${"%.0f".format(result.tileMs.sum())} ms (whole upscale ${"%.0f".format(result.totalMs)} ms)")
                        append("\n${u.source.label}, ${threadsText(u)}, ${u.card.quantization}, ${u.card.params} parameters")
                    }
                }
            } catch (e: kotlinx.coroutines.CancellationException) {
                status.text = "Cancelled."
            } catch (e: Exception) {
                status.text = "Failed: ${e.message}"
            } finally {
                progress.visibility = View.INVISIBLE
                cancel.isEnabled = false
                pick.isEnabled = upscaler != null
            }
        }
    }

    /** Decodes the picked photo as ARGB_8888, shrunk to at most MAX_INPUT_PIXELS (the output is scale² larger). */
    private fun decode(uri: Uri): Pair<Bitmap, String?> {
        var original = 0 to 0
        val bitmap = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            ImageDecoder.decodeBitmap(ImageDecoder.createSource(contentResolver, uri)) { decoder, info, _ ->
                original = info.size.width to info.size.height
                val f = shrink(info.size.width, info.size.height)
                if (f < 1.0) decoder.setTargetSize((info.size.width * f).toInt(), (info.size.height * f).toInt())
                decoder.allocator = ImageDecoder.ALLOCATOR_SOFTWARE
            }
        } else {
            val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
            contentResolver.openInputStream(uri).use { BitmapFactory.decodeStream(it, null, bounds) }
            original = bounds.outWidth to bounds.outHeight
            var sample = 1
            while (bounds.outWidth.toLong() * bounds.outHeight / (sample * sample) > MAX_INPUT_PIXELS) sample *= 2
            val opts = BitmapFactory.Options().apply { inSampleSize = sample }
            contentResolver.openInputStream(uri).use { BitmapFactory.decodeStream(it, null, opts) }
        } ?: throw IllegalArgumentException("the picked file is not a readable image")
        val argb = if (bitmap.config == Bitmap.Config.ARGB_8888) bitmap else bitmap.copy(Bitmap.Config.ARGB_8888, false)
        val note = if (argb.width != original.first) "shrunk from ${original.first}x${original.second} to fit memory" else null
        return argb to note
    }

    private fun shrink(w: Int, h: Int): Double {
        val pixels = w.toLong() * h
        return if (pixels <= MAX_INPUT_PIXELS) 1.0 else sqrt(MAX_INPUT_PIXELS.toDouble() / pixels)
    }

    override fun onDestroy() {
        job?.cancel()
        upscaler?.close()
        super.onDestroy()
    }

    companion object {
        /** Largest LR photo upscaled as is: x4 makes 16x the pixels (1 MP -> 64 MB of ARGB). */
        const val MAX_INPUT_PIXELS = 1_000_000L
    }
}
