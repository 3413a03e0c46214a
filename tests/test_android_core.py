"""The Android app's platform-free core (android_demo/core: tile plan, model cards, pixel packing),
compiled with its JUnit tests and run on the JVM -- the Android SDK is not on these machines, a
Kotlin compiler is. Uses Debian's `kotlin`, `junit4` and `libandroid-json-java` (Android's own
org.json), which .ci/run installs; skips saying which is missing otherwise.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "android_demo"
CORE = DEMO / "core"
JARS = {
    "JUnit 4 (Debian junit4)": Path("/usr/share/java/junit4.jar"),
    "Hamcrest (a junit4 dependency)": Path("/usr/share/java/hamcrest-core.jar"),
    "org.json (Debian libandroid-json-java)": Path("/usr/share/java/com.android.json.jar"),
    "the Kotlin standard library (Debian kotlin)": Path("/usr/share/java/kotlin-stdlib.jar"),
}
TESTS = sorted(p.stem for p in (CORE / "src" / "test" / "kotlin").rglob("*Test.kt"))


def _missing() -> str | None:
    if shutil.which("kotlinc") is None or shutil.which("java") is None:
        return "kotlinc or java is not installed (.ci/run installs Debian's kotlin)"
    absent = [name for name, jar in JARS.items() if not jar.is_file()]
    return f"missing {', '.join(absent)} (.ci/run installs them)" if absent else None


def test_core_has_no_android_imports_and_the_app_uses_it():
    for path in (CORE / "src").rglob("*.kt"):
        assert "import android" not in path.read_text(), path
    assert 'implementation(project(":core"))' in (DEMO / "app" / "build.gradle.kts").read_text()
    assert 'include(":app", ":core")' in (DEMO / "settings.gradle.kts").read_text()
    upscaler = (DEMO / "app" / "src" / "main" / "java" / "dev" / "drrn" / "demo" / "Upscaler.kt").read_text()
    assert "Pixels.gatherTile(" in upscaler and "Pixels.scatterTile(" in upscaler and "TilePlan.axisPlan(" in upscaler
    assert {"TilePlanTest", "ModelCardTest", "PixelsTest"} <= set(TESTS)


@pytest.mark.slow
def test_core_compiles_and_its_junit_tests_pass_on_the_jvm(tmp_path):
    reason = _missing()
    if reason:
        pytest.skip(reason)
    classes = tmp_path / "classes"
    sources = [
        CORE / "src" / "main" / "kotlin",
        CORE / "src" / "test" / "kotlin",
        DEMO / "app" / "src" / "main" / "java" / "dev" / "drrn" / "demo" / "Assets.kt",
    ]
    classpath = ":".join(str(j) for j in JARS.values())
    build = subprocess.run(["kotlinc", *map(str, sources), "-cp", classpath, "-d", str(classes)], capture_output=True, text=True, timeout=600)
    errors = [line for line in build.stderr.splitlines() if "error:" in line or "warning:" in line and "Xverify" not in line]
    assert build.returncode == 0 and not errors, build.stderr[-3000:]
    run = subprocess.run(
        ["java", "-cp", f"{classes}:{classpath}:{CORE / 'src' / 'test' / 'resources'}", f"-Ddrrn.assets={DEMO / 'app' / 'src' / 'main' / 'assets'}"]
        + ["org.junit.runner.JUnitCore", *(f"dev.drrn.demo.{t}" for t in TESTS)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    print(run.stdout[-1500:])
    assert run.returncode == 0 and "OK (" in run.stdout, run.stdout[-3000:] + run.stderr[-2000:]
