/**
 * A gateway of two workers on real stores (MIRAGE_GATEWAY_WORKERS=2): both share the port and answer, `/metrics`
 * holds both workers' series whichever one takes the scrape, and a worker killed with SIGKILL is started again.
 */
import { describe, expect, it } from "@effect/vitest"
import { commandLine, processes } from "@mirage/testkit/Processes"
import * as Prometheus from "@mirage/testkit/Prometheus"
import { freshDatabase, freshMongoDatabase, freshRedisPrefix, redisUrl } from "@mirage/testkit/TestStores"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { launch, waitForGateway } from "../src/Launcher.js"
import { freePort, logTails } from "./Scans.js"

/** The gateway processes whose parent is `pid` (its workers, not the TypeScript loader's helper). */
const childrenOf = (pid: number) =>
  processes()
    .filter((stat) => stat.parent === pid && commandLine(stat.pid).includes("apps/gateway/src/main.ts"))
    .map((stat) => stat.pid)
    .sort((a, b) => a - b)

/** One GET on a connection of its own (node:cluster hands each new connection to the next worker). */
const get = (port: number, path: string, key: string) =>
  Effect.tryPromise(() =>
    new Promise<{ readonly status: number; readonly text: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, agent: false, headers: { authorization: `Bearer ${key}` } })
      req.on("response", (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
      })
      req.on("error", reject)
      req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path}: no answer in 10 s`)))
      req.end()
    })
  )

const logsFolder = mkdtempSync(join(tmpdir(), "mirage-gateway-workers-"))

describe("a gateway of two workers", () => {
  it.live("shares its port, scrapes as one process, and starts a killed worker again", () =>
    Effect.gen(function*() {
      const key = `mk_test_${randomBytes(24).toString("base64url")}`
      const port = yield* freePort
      const procs = yield* launch({
        port,
        nodes: 0,
        output: { logs: logsFolder },
        env: {
          DATABASE_URL: yield* freshDatabase,
          MONGODB_URL: (yield* freshMongoDatabase).url,
          REDIS_URL: yield* redisUrl,
          MIRAGE_REDIS_PREFIX: (yield* freshRedisPrefix).replace(/:$/, ""),
          MIRAGE_BOOTSTRAP_API_KEY: key,
          MIRAGE_GATEWAY_WORKERS: "2"
        }
      })
      const primary = procs[0]!.child.pid!
      yield* waitForGateway(`http://127.0.0.1:${port}`, procs[0], "90 seconds").pipe(Effect.orDie)
      const workers = childrenOf(primary)
      expect(workers).toHaveLength(2)

      const scrape = Effect.flatMap(get(port, "/metrics", key), ({ text }) => Prometheus.parse(text))
      const answered = (exposition: Prometheus.Exposition) =>
        Prometheus.total(exposition, "mirage_http_requests_total", { route: "/modules/:id", status: "200" })
      // The gateway answers once one worker listens; the other may still be starting (slow on a busy machine).
      for (let i = 0; i < 600 && Prometheus.total(yield* scrape, "mirage_gateway_workers") < 2; i++) {
        yield* Effect.sleep("100 millis")
      }
      for (let i = 0; i < 40; i++) expect((yield* get(port, "/modules/crtsh", key)).status).toBe(200)
      // Scraped on new connections, so by both workers in turn: each time every answer is counted.
      for (let i = 0; i < 4; i++) {
        const exposition = yield* scrape
        expect(Prometheus.total(exposition, "mirage_gateway_workers")).toBe(2)
        expect(answered(exposition)).toBe(40)
      }

      // A worker killed: once the primary has seen it go (reaped it), the other answers meanwhile, and the primary starts a new
      // one (after 1 s). A connection handed to the worker as it died is lost with it, as with any process.
      process.kill(workers[0]!, "SIGKILL")
      for (let i = 0; i < 100 && existsSync(`/proc/${workers[0]}`); i++) yield* Effect.sleep("20 millis")
      let now = childrenOf(primary)
      let meanwhile = 0
      for (let i = 0; i < 200 && !(now.length === 2 && !now.includes(workers[0]!)); i++) {
        expect((yield* get(port, "/modules/crtsh", key)).status).toBe(200)
        meanwhile++
        yield* Effect.sleep("100 millis")
        now = childrenOf(primary)
      }
      expect(now).toHaveLength(2)
      expect(now).toContain(workers[1])
      let exposition = yield* scrape
      // The new worker answers once it has started (slow on a busy machine: up to a minute here).
      for (let i = 0; i < 600 && Prometheus.total(exposition, "mirage_gateway_workers") < 2; i++) {
        yield* Effect.sleep("100 millis")
        exposition = yield* scrape
      }
      expect(Prometheus.total(exposition, "mirage_gateway_workers")).toBe(2)
      // The killed worker's counts went with it: it had answered some of the first 40 (so both had), the survivor
      // the rest and every one since.
      expect(meanwhile).toBeGreaterThan(0)
      expect(answered(exposition)).toBeGreaterThanOrEqual(meanwhile)
      expect(answered(exposition)).toBeLessThan(40 + meanwhile)
    }).pipe(
      Effect.tapErrorCause(() => Effect.flatMap(logTails(logsFolder), (tails) => Effect.log(tails))),
      Effect.scoped
    ), { timeout: 240_000 })
})
