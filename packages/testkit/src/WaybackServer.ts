/**
 * An HTTP server that answers like the Wayback Machine's CDX API
 * (`/cdx/search/cdx?url=*.example.com/*&output=json&fl=original&collapse=urlkey`, with its
 * `filter=[!]field:regex` parameters) from a table of captures: JSON rows with a header row
 * first, `[]` when nothing matched.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

/** One capture of a URL by the archive. */
export interface Capture {
  readonly original: string
  readonly timestamp: string
  readonly statuscode: string
  readonly mimetype: string
}

const fields = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"] as const
type Field = typeof fields[number]

const isField = (name: string): name is Field => fields.some((field) => field === name)

/** SURT-like key: host reversed without `www.`, lower-cased, plus path and query (what `collapse=urlkey` folds). */
const urlkey = (original: string) => {
  if (!URL.canParse(original)) return original.toLowerCase()
  const url = new URL(original)
  const host = url.hostname.toLowerCase().replace(/^www\./, "").split(".").reverse().join(",")
  return `${host})${url.pathname}${url.search}`.toLowerCase()
}

const host = (original: string) => (URL.canParse(original) ? new URL(original).hostname.toLowerCase() : "")

/** `url` as the CDX server reads it: `*.d/*` is the domain and its subdomains, `d/*` a prefix, `d` exact. */
const matcher = (pattern: string, matchType: string | null) => {
  const text = pattern.toLowerCase().replace(/^https?:\/\//, "")
  if (text.startsWith("*.") || matchType === "domain") {
    const domain = text.replace(/^\*\./, "").replace(/\/.*$/, "")
    return (capture: Capture) => host(capture.original) === domain || host(capture.original).endsWith(`.${domain}`)
  }
  if (text.endsWith("*") || matchType === "prefix") {
    const prefix = text.replace(/\*$/, "")
    return (capture: Capture) => capture.original.toLowerCase().replace(/^https?:\/\//, "").startsWith(prefix)
  }
  return (capture: Capture) => capture.original.toLowerCase().replace(/^https?:\/\//, "").replace(/\/$/, "") === text
}

const value = (capture: Capture, field: Field): string => {
  switch (field) {
    case "urlkey":
      return urlkey(capture.original)
    case "digest":
      return "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
    case "length":
      return "1024"
    default:
      return capture[field]
  }
}

/** `filter=[!]field:regex` (repeatable): the regex must match the whole field, `!` keeps what does not match. */
const filterOf = (spec: string): ((capture: Capture) => boolean) | string => {
  const [, negate, field = "", pattern] = /^(!?)([a-z]+):(.*)$/.exec(spec) ?? []
  if (!isField(field)) return `Invalid filter: ${spec}`
  const regex = new RegExp(`^(?:${pattern})$`)
  return (capture) => regex.test(value(capture, field)) !== (negate === "!")
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (captures: ReadonlyArray<Capture>): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> =>
  HttpFixture.make("https://web.archive.org", (request) => {
    const params = request.url.searchParams
    if (request.url.pathname !== "/cdx/search/cdx") return HttpFixture.notFound()
    const pattern = params.get("url")
    if (pattern === null || pattern === "") {
      return HttpFixture.text("org.archive.wayback.exception.BadQueryException: Please specify a URL", 400)
    }
    const requested = (params.get("fl") ?? "urlkey,timestamp,original,mimetype,statuscode,digest,length").split(",")
    const unknown = requested.find((field) => !isField(field))
    if (unknown !== undefined) return HttpFixture.text(`Invalid field: ${unknown}`, 400)
    const selected = requested.filter(isField)
    const limit = Number(params.get("limit") ?? "Infinity")
    const filters = params.getAll("filter").map(filterOf)
    const invalid = filters.find((filter) => typeof filter === "string")
    if (typeof invalid === "string") return HttpFixture.text(invalid, 400)
    const kept = filters.filter((filter) => typeof filter !== "string")
    const matched = matcher(pattern, params.get("matchType"))
    const matches = (capture: Capture) => matched(capture) && kept.every((keep) => keep(capture))
    const collapse = params.get("collapse")
    const seen = new Set<string>()
    const rows: Array<ReadonlyArray<string>> = []
    for (const capture of captures) {
      if (!matches(capture)) continue
      if (collapse === "urlkey") {
        const key = urlkey(capture.original)
        if (seen.has(key)) continue
        seen.add(key)
      }
      if (rows.length >= limit) break
      rows.push(selected.map((field) => value(capture, field)))
    }
    if (params.get("output") === "json") return HttpFixture.json(rows.length === 0 ? [] : [selected, ...rows])
    return HttpFixture.text(rows.map((row) => row.join(" ")).join("\n") + (rows.length === 0 ? "" : "\n"))
  })
