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
