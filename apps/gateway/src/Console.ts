/**
 * The web console (apps/console, built into its `dist`) served at `/` beside the API: the API's routes keep
 * priority; other GET paths that accept HTML answer the console's index (its routes live in the URL's hash);
 * files under `/static/` carry a content hash in their name and are cached for a year. Compressed with brotli or
 * gzip when the client accepts it.
 */
import { HttpApi, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { MirageApi } from "@mirage/domain/api/Api"
import { Effect, Option } from "effect"
import { readFile } from "node:fs/promises"
import { extname, join, normalize, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { brotliCompressSync, constants, gzipSync } from "node:zlib"

/** Where `npm run console:build` writes the console. */
export const defaultDirectory = fileURLToPath(new URL("../../console/dist", import.meta.url))

/** The path of every API route (`/scans/:id/results`, its parameters as `:name`). */
export const apiPaths: ReadonlyArray<string> = (() => {
  const paths: Array<string> = []
  HttpApi.reflect(MirageApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      paths.push(endpoint.path)
    }
  })
  return paths
})()

/** The first path segment of the API's documents: the reference pages and the OpenAPI document. */
export const documentSegments: ReadonlyArray<string> = ["docs", "openapi.json"]

/** The first path segment of every API route (`scans`, `modules`, …) and of the API's documents. */
export const apiSegments: ReadonlySet<string> = new Set([
  ...documentSegments,
  ...apiPaths.map((path) => path.split("/")[1] ?? "").filter((first) => first !== "")
])

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2"
}
const compressible = new Set([".html", ".js", ".css", ".svg", ".json"])

interface Asset {
  readonly type: string
  readonly raw: Uint8Array
  readonly gzip: Uint8Array | undefined
  readonly brotli: Uint8Array | undefined
}

const load = (file: string): Promise<Asset | undefined> =>
  readFile(file).then(
    (raw) => {
      const extension = extname(file)
      const squeeze = compressible.has(extension) && raw.length > 512
      return {
        type: contentTypes[extension] ?? "application/octet-stream",
        raw,
        gzip: squeeze ? gzipSync(raw, { level: 9 }) : undefined,
        brotli: squeeze ? brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }) : undefined
      }
    },
    () => undefined
  )

/** `brotli`, `gzip` or nothing, from an Accept-Encoding header. */
export const encodingFor = (accept: string | undefined): "br" | "gzip" | undefined => {
  const names = (accept ?? "").toLowerCase().split(",").map((part) => part.trim().split(";")[0])
  return names.includes("br") ? "br" : names.includes("gzip") ? "gzip" : undefined
}

const respond = (asset: Asset, accept: string | undefined, cache: string) => {
  const encoding = encodingFor(accept)
  const body = encoding === "br" ? asset.brotli : encoding === "gzip" ? asset.gzip : undefined
  const headers: Record<string, string> = { "cache-control": cache, vary: "accept-encoding" }
  if (body !== undefined && encoding !== undefined) headers["content-encoding"] = encoding
  return HttpServerResponse.uint8Array(body ?? asset.raw, { contentType: asset.type, headers })
}

/** The decoded path of a request URL; undefined when its percent-encoding is malformed (the API answers those). */
const pathOf = (url: string): string | undefined => {
  try {
    return decodeURIComponent((url.split("?")[0] ?? "/").split("#")[0] ?? "/")
  } catch {
    return undefined
  }
}

/** Serves the console in `directory` around `app` (the API); files are read once and kept with their compressions. */
/** The folder of the console's hashed files (Vite's `assetsDir`): apart from every API path. */
export const assetsSegment = "static"

export const middlewareFor = (directory: string) => {
  const root = normalize(directory)
  const cache = new Map<string, Promise<Asset | undefined>>()
  const asset = (relative: string) => {
    const file = normalize(join(root, relative))
    if (!file.startsWith(root + sep)) return Promise.resolve(undefined)
    let entry = cache.get(file)
    if (entry === undefined) {
      entry = load(file)
      // A console built after the gateway started is picked up: only found files stay cached.
      void entry.then((found) => found === undefined && cache.delete(file))
      cache.set(file, entry)
    }
    return entry
  }
  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const path = pathOf(request.url)
      const first = path?.split("/")[1] ?? ""
      if (path === undefined || (request.method !== "GET" && request.method !== "HEAD") || apiSegments.has(first)) {
        return yield* app
      }
      const encoding = request.headers["accept-encoding"]
      if (first === assetsSegment) {
        const found = yield* Effect.promise(() => asset(path))
        return found === undefined ? yield* app : respond(found, encoding, "public, max-age=31536000, immutable")
      }
      const wantsHtml = (request.headers["accept"] ?? "").includes("text/html")
      const file = path === "/" || !wantsHtml ? path : "/index.html"
      const found = Option.fromNullable(yield* Effect.promise(() => asset(file === "/" ? "/index.html" : file)))
      return Option.isSome(found) ? respond(found.value, encoding, "no-cache") : yield* app
    })
}

/** The console built in `apps/console/dist`; when it was not built, every request goes to the API. */
export const middleware = middlewareFor(defaultDirectory)
