// Drives the web demo in headless Chromium with playwright-core (used by tests/test_web_demo.py
// and benchmarks/latency.py --browser).
//
//   node web_demo/tests/driver.mjs PLAN.json RESULT.json
//
// PLAN: {"url": "http://127.0.0.1:PORT/", "chromium": "/usr/bin/chromium", "timeout_ms": 600000,
//        "steps": [{"upload": "photo.png"}, {"select": 1}, {"own_model": ["mine.tflite", "mine.json"]},
//                  {"bench": "models/m.tflite", "threads": [1, 2], "runs": 10, "warmup": 2}]}
// RESULT: {"isolated": bool, "threads_available": bool, "initial_status": {...}, "model_info": "...",
//          "steps": [{"status": {"state", "text"}, "input_b64", "output_b64", "height", "width",
//                     "tile_ms": [...], "inference_ms", "total_ms", "threads"} | {"status", "model_info", "model_timing"} | {"bench": [...]}]}
import {readFileSync, writeFileSync} from "node:fs";
import {chromium} from "playwright-core";

const [planPath, resultPath] = process.argv.slice(2);
if (!planPath || !resultPath) {
  console.error("usage: node driver.mjs PLAN.json RESULT.json");
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planPath, "utf8"));
const timeout = plan.timeout_ms ?? 600000;
const browser = await chromium.launch({
  executablePath: plan.chromium ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const result = {steps: [], console: []};
try {
  const page = await browser.newPage();
  page.on("console", (msg) => result.console.push(`${msg.type()}: ${msg.text()}`));
  page.on("pageerror", (err) => result.console.push(`pageerror: ${err.message}`));
  await page.goto(plan.url);
  await page.waitForFunction(() => window.drrnDemo !== undefined, null, {timeout});
  await page.evaluate(() => window.drrnDemo.ready);
  Object.assign(result, await page.evaluate(() => ({
    isolated: self.crossOriginIsolated === true,
    threads_available: !document.getElementById("threads").disabled,
    initial_status: window.drrnDemo.status,
    model_info: document.getElementById("model-info").textContent,
    model_timing: document.getElementById("model-timing").textContent,
  })));
  const modelState = () => page.evaluate(() => ({
    status: window.drrnDemo.status,
    model_info: document.getElementById("model-info").textContent,
    model_timing: document.getElementById("model-timing").textContent,
  }));
  for (const step of plan.steps ?? []) {
    if (step.upload) {
      const before = await page.evaluate(() => window.drrnDemo.lastResult);
      await page.setInputFiles("#file", step.upload);
      await page.waitForFunction(() => ["done", "error"].includes(document.getElementById("status").dataset.state), null, {timeout});
      const out = await page.evaluate((hadResult) => {
        const r = window.drrnDemo.lastResult;
        const status = window.drrnDemo.status;
        if (status.state !== "done" || !r || r === hadResult) return {status};
        const b64 = (u8) => {
          let s = "";
          for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
          return btoa(s);
        };
        return {
          status, input_b64: b64(r.input.rgb), input_height: r.input.height, input_width: r.input.width,
          output_b64: b64(r.result.pixels), height: r.result.height, width: r.result.width,
          tile_ms: r.result.tileMs, inference_ms: r.result.inferenceMs, total_ms: r.result.totalMs, threads: r.result.threads,
          timing_table: document.getElementById("timing").innerText,
        };
      }, before);
      result.steps.push(out);
    } else if (step.select !== undefined) {  // pick the model at this index of the list, wait until it is loaded
      await page.selectOption("#model", {index: step.select});
      await page.waitForFunction(() => ["ready", "error"].includes(document.getElementById("status").dataset.state), null, {timeout});
      result.steps.push(await modelState());
    } else if (step.own_model) {  // the user's own model through the "Your model" picker; wait until loaded (or refused)
      const loads = await page.evaluate(() => window.drrnDemo.loads);
      await page.setInputFiles("#own-model", step.own_model);
      await page.waitForFunction((n) => window.drrnDemo.loads > n, loads, {timeout});
      result.steps.push(await modelState());
    } else if (step.bench) {
      const rows = [];
      for (const threads of step.threads ?? [1]) {
        rows.push(await page.evaluate(([url, t, runs, warmup]) => window.drrnDemo.benchmark(url, t, runs, warmup),
          [step.bench, threads, step.runs ?? 10, step.warmup ?? 2]));
      }
      result.steps.push({bench: rows});
    }
  }
} finally {
  await browser.close();
}
writeFileSync(resultPath, JSON.stringify(result));
