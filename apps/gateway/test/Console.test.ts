/** The console beside the API: the index for HTML navigations, hashed assets cached and compressed, the API first. */
import { HttpApp, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { brotliDecompressSync, gunzipSync } from "node:zlib"
import * as Console from "../src/Console.js"

const directory = mkdtempSync(join(tmpdir(), "mirage-console-"))
mkdirSync(join(directory, "static"))
const index = "<!doctype html><title>Mirage</title>"
const script = `console.log(${JSON.stringify("x".repeat(4000))})`
writeFileSync(join(directory, "index.html"), index)
writeFileSync(join(directory, "static", "main-abc123.js"), script)

const api = Effect.succeed(HttpServerResponse.unsafeJson({ from: "api" }, { status: 404 }))
const handler = HttpApp.toWebHandler(Console.middlewareFor(directory)(api))
const call = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  handler(new Request(`http://127.0.0.1${path}`, { method, headers }))

describe("Console", () => {
  it("answers the index at / and for HTML navigations outside the API", async () => {
    const root = await call("/")
    expect(root.status).toBe(200)
    expect(root.headers.get("content-type")).toContain("text/html")
    expect(root.headers.get("cache-control")).toBe("no-cache")
    expect(await root.text()).toBe(index)
    expect(await (await call("/some/page", { accept: "text/html,*/*" })).text()).toBe(index)
  })

  it("leaves API paths, other methods and non-HTML misses to the API", async () => {
    for (const path of ["/scans", "/scans/abc", "/modules", "/health", "/openapi.json", "/docs"]) {
      expect(await (await call(path, { accept: "text/html" })).json()).toEqual({ from: "api" })
    }
    expect(await (await call("/", {}, "POST")).json()).toEqual({ from: "api" })
    expect(await (await call("/nothing-here", { accept: "application/json" })).json()).toEqual({ from: "api" })
    expect(await (await call("/static/missing-1.js")).json()).toEqual({ from: "api" })
    expect(await (await call("/static/../../etc/passwd")).json()).toEqual({ from: "api" })
    expect(await (await call("/%E0%A4%A", { accept: "text/html" })).json()).toEqual({ from: "api" })
  })

  it("serves hashed assets with a year's cache, brotli or gzip when accepted", async () => {
    const plain = await call("/static/main-abc123.js")
    expect(plain.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")
    expect(plain.headers.get("content-type")).toContain("text/javascript")
    expect(plain.headers.get("content-encoding")).toBeNull()
    expect(await plain.text()).toBe(script)
    const br = await call("/static/main-abc123.js", { "accept-encoding": "gzip, deflate, br" })
    expect(br.headers.get("content-encoding")).toBe("br")
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString()).toBe(script)
    const gzip = await call("/static/main-abc123.js", { "accept-encoding": "gzip" })
    expect(gzip.headers.get("content-encoding")).toBe("gzip")
    expect(gunzipSync(Buffer.from(await gzip.arrayBuffer())).toString()).toBe(script)
  })

  it("knows the API's first path segments from its definition", () => {
    for (const segment of ["scans", "templates", "modules", "sources", "api-keys", "health", "metrics"]) {
      expect(Console.apiSegments.has(segment)).toBe(true)
    }
    expect(Console.apiSegments.has("assets")).toBe(true)
    // The console's own files sit where no API path does.
    expect(Console.apiSegments.has(Console.assetsSegment)).toBe(false)
  })
})
