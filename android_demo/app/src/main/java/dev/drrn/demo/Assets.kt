package dev.drrn.demo

/**
 * The model files the app loads from `assets/`, one per accelerator, each with its model card
 * (`<name>.json`) beside it. Written by the export stage (see android_demo/README.md); the Python
 * test tests/test_android_contract.py reads these names from this file and checks the assets.
 */
enum class ModelAsset(val label: String, val fileName: String) {
    CPU_INT8("CPU (XNNPACK), int8", "drrn_e2e_cpu_int8.tflite"),
    GPU_FP16("GPU, fp16", "drrn_e2e_gpu_fp16.tflite");

    val cardName: String get() = fileName.removeSuffix(".tflite") + ".json"
}

/**
 * Where a model comes from: one of the app's bundled assets, or a file of the user's -- picked with
 * "Your model…" (copied into the app's files) or pushed to the app's folder with
 * `adb push my_x3.tflite /sdcard/Android/data/dev.drrn.demo/files/`. Its card (`NAME.json` beside it)
 * is optional: without one, the app reads what tiling needs from the file (TfliteFacts).
 */
sealed class ModelSource {
    abstract val label: String
    abstract val fileName: String

    data class Bundled(val asset: ModelAsset) : ModelSource() {
        override val label: String get() = asset.label
        override val fileName: String get() = asset.fileName
    }

    data class UserFile(val file: java.io.File) : ModelSource() {
        override val label: String get() = "Your model: ${file.name} (CPU)"
        override val fileName: String get() = file.name
        val card: java.io.File get() = java.io.File(file.parentFile, file.name.removeSuffix(".tflite") + ".json")
    }
}
