/**
 * The console with a big scan: a gateway process on fresh stores, a scan of 100,000 results written straight into
 * them, and its results page opened in Chromium (playwright-core, the system's browser), reading the API's own pages
 * (from the results' read copy in Postgres, by primary key). The API's first page is also timed alone. Measured in
 * the browser:
 * when the first rows show and a click on one opens its detail (time-to-interactive), when every page is held, the
 * longest task while pages arrive, and the frame times while the table is scrolled end to end.
 */
import type { ScanId } from "@mirage/domain/Ids"
import * as Chromium from "@mirage/testkit/Chromium"
import { freePort } from "@mirage/testkit/OwnStores"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { chromium } from "playwright-core"
import { ensureBuilt } from "../../console/dev/build.js"
import { start, stop, waitForGateway } from "../src/Launcher.js"
import { layer } from "./Harness.js"
import { seedCompletedScan } from "./Seed.js"
import type { BenchStores } from "./Stores.js"

export interface ConsoleFigures {
  readonly results: number
  readonly seedS: number
  readonly storeFirstPageMs: number
  readonly firstRowsMs: number
  readonly interactiveMs: number
  readonly allLoadedMs: number
  readonly pages: number
  readonly longestTaskMs: number
  readonly frames: ReadonlyArray<number>
}

/** Marks, in page time (ms since navigation), when rows first show, when the detail opens, when all are held. */
const marks = `(() => {
  const at = (window.__marks = {})
  window.__longest = 0
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longest = Math.max(window.__longest, entry.duration)
  }).observe({ type: "longtask", buffered: true })
  new MutationObserver(() => {
    if (at.rows === undefined && document.querySelector(".grid-body [role=row][aria-rowindex]")) at.rows = performance.now()
    if (at.detail === undefined && document.querySelector("aside[aria-label='Result detail']")) at.detail = performance.now()
    const count = document.querySelector("[data-testid=result-count]")?.textContent ?? ""
    if (at.all === undefined && /^([\\d,]+) of \\1$/.test(count.trim())) at.all = performance.now()
  }).observe(document, { subtree: true, childList: true, characterData: true })
})()`

const scrollFrames = (frames: number) =>
  `new Promise((done) => {
  const body = document.querySelector(".grid-body")
  const gaps = []
  let last = performance.now()
  let step = 0
  const tick = (now) => {
    gaps.push(now - last)
    last = now
    body.scrollTop = (body.scrollHeight * ++step) / ${frames}
    if (step < ${frames}) requestAnimationFrame(tick)
    else done(gaps)
  }
  requestAnimationFrame(tick)
})`

export const bigResultsPage = (stores: BenchStores, results: number) =>
  Effect.gen(function*() {
    yield* Effect.promise(() => ensureBuilt())
    const port = yield* freePort
    const key = `mk_${randomBytes(32).toString("base64url")}`
    const base = `http://127.0.0.1:${port}`
    const gateway = yield* Effect.acquireRelease(
      start("bench-gateway", "apps/gateway/src/main.ts", {
        DATABASE_URL: stores.databaseUrl,
        MONGODB_URL: stores.mongoUrl,
        REDIS_URL: stores.redisUrl,
        MIRAGE_REDIS_PREFIX: stores.prefix,
        HOST: "127.0.0.1",
        PORT: String(port),
        MIRAGE_BOOTSTRAP_API_KEY: key
      }, "ignore"),
      (proc) => stop(proc, 2000)
    )
    yield* Effect.orDie(waitForGateway(base, gateway, "60 seconds"))
    const created = yield* Effect.promise(() =>
      fetch(`${base}/scans`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          name: "console bench",
          target: { type: "DOMAIN", value: "seed.example" },
          modules: [{ id: "crtsh" }]
        })
      }).then((r) => r.json() as Promise<{ id: ScanId }>)
    )
    const seeding = performance.now()
    yield* seedCompletedScan(created.id, results).pipe(Effect.provide(layer(stores)))
    const seedS = (performance.now() - seeding) / 1000
    const asking = performance.now()
    yield* Effect.promise(() =>
      fetch(`${base}/scans/${created.id}/results?limit=200`, { headers: { authorization: `Bearer ${key}` } })
        .then((r) => r.json())
    )
    const storeFirstPageMs = performance.now() - asking
    const executablePath = yield* Chromium.executablePath
    const browser = yield* Effect.acquireRelease(
      Effect.promise(() => chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] })),
      (b) => Effect.promise(() => b.close())
    )
    return yield* Effect.promise(async (): Promise<ConsoleFigures> => {
      const context = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: "en-US" })
      await context.addInitScript(`sessionStorage.setItem("mirage.apiKey", ${JSON.stringify(key)})`)
      await context.addInitScript(marks)
      const page = await context.newPage()
      let pages = 0
      page.on("request", (request) => {
        if (new URL(request.url()).pathname === `/scans/${created.id}/results`) pages++
      })
      await page.goto(`${base}/#/scans/${created.id}/results`)
      const first = page.locator(".grid-body [role=row][aria-rowindex] button.link").first()
      await first.waitFor({ timeout: 60_000 })
      await first.click()
      await page.locator("aside[aria-label='Result detail']").waitFor()
      await page.keyboard.press("Escape")
      const total = results.toLocaleString("en-US")
      await page.getByTestId("result-count").filter({ hasText: `${total} of ${total}` }).waitFor({ timeout: 600_000 })
      const at = await page.evaluate("window.__marks") as { rows: number; detail: number; all: number }
      const longestTaskMs = await page.evaluate("window.__longest") as number
      const frames = await page.evaluate(scrollFrames(240)) as Array<number>
      await context.close()
      return {
        results,
        seedS,
        storeFirstPageMs,
        firstRowsMs: at.rows,
        interactiveMs: at.detail,
        allLoadedMs: at.all,
        pages,
        longestTaskMs,
        frames: frames.slice(1)
      }
    })
  })

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0

/** The `console_*` lines of a run. */
export const lines = (run: ConsoleFigures): ReadonlyArray<string> => {
  const sorted = [...run.frames].sort((a, b) => a - b)
  const n = run.results.toLocaleString("en-US")
  return [
    `console_results_first_rows_ms: ${run.firstRowsMs.toFixed(0)} (a ${n}-result scan's results page, from navigation)`,
    `console_results_interactive_ms: ${
      run.interactiveMs.toFixed(0)
    } (the first rows shown and a click on one has opened its detail)`,
    `console_results_all_loaded_ms: ${
      run.allLoadedMs.toFixed(0)
    } (all ${n} held, ${run.pages} pages of 200; longest task meanwhile ${run.longestTaskMs.toFixed(0)} ms)`,
    `console_store_first_page_ms: ${
      run.storeFirstPageMs.toFixed(0)
    } (the API's own first page of 200 of the ${n} results, seeded in ${run.seedS.toFixed(1)} s)`,
    `console_scroll_frame_p95_ms: ${
      percentile(sorted, 95).toFixed(1)
    } (${sorted.length} frames scrolling the ${n} rows end to end; median ${percentile(sorted, 50).toFixed(1)})`,
    `console_scroll_frame_max_ms: ${(sorted.at(-1) ?? 0).toFixed(1)}`
  ]
}
