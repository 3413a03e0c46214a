// The app's platform-free logic (no android.* imports): the tile plan, model-card parsing and
// pixel packing, with JUnit tests that run on any JVM (`gradle :core:test`, or without Gradle as
// tests/test_android_core.py does with Debian's kotlinc).
plugins {
    id("org.jetbrains.kotlin.jvm")
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // Android ships org.json; on the JVM the tests bring their own.
    compileOnly("org.json:json:20240303")
    testImplementation("org.json:json:20240303")
    testImplementation("junit:junit:4.13.2")
}

tasks.test {
    systemProperty("drrn.assets", file("../app/src/main/assets").path)
}
