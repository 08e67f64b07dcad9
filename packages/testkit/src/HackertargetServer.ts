/**
 * An HTTP server that answers like HackerTarget's host search (`/hostsearch/?q=example.com`,
 * optional `&apikey=`): `host,ip` CSV lines, and its plain-text answers with status 200 when
 * the daily quota is spent ("API count exceeded") or the query is wrong. Its DNS lookup
 * (`/dnslookup/?q=`, `A : ip` lines) and reverse IP lookup (`/reverseiplookup/?q=ip`, a host a
 * line) answer from the same records, on the same quota.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

export interface HostRecord {
  readonly host: string
  readonly ip: string
}

export interface HackertargetOptions {
  /** The membership key (`apikey`), which lifts the quota; a wrong one is refused. */
  readonly key: string
  /** Keyless queries answered before the quota text; the real API allows 50 a day. */
  readonly dailyQuota?: number
}

export const quotaExceeded = "API count exceeded - Increase Quota with Membership"

const validQuery = /^(?=.{1,253}$)([a-z0-9_-]{1,63}\.)+[a-z0-9-]{2,63}$/i
const paths = new Set(["/hostsearch/", "/dnslookup/", "/reverseiplookup/"])

/** The answer's lines for a valid query, by endpoint. */
const linesFor = (records: ReadonlyArray<HostRecord>, path: string, q: string): ReadonlyArray<string> => {
  switch (path) {
    case "/dnslookup/":
      return records.filter((record) => record.host === q).map((record) => `A : ${record.ip}`)
    case "/reverseiplookup/":
      return records.filter((record) => record.ip === q).map((record) => record.host)
    default:
      return records
        .filter((record) => record.host === q || record.host.endsWith(`.${q}`))
        .map((record) => `${record.host},${record.ip}`)
  }
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  records: ReadonlyArray<HostRecord>,
  options: HackertargetOptions
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> => {
  let keyless = 0
  return HttpFixture.make("https://api.hackertarget.com", (request) => {
    const params = request.url.searchParams
    const path = request.url.pathname
    if (!paths.has(path)) return HttpFixture.notFound()
    const key = params.get("apikey")
    if (key !== null && key !== options.key) return HttpFixture.text("error invalid api key")
    if (key === null) {
      keyless++
      if (keyless > (options.dailyQuota ?? 50)) return HttpFixture.text(quotaExceeded)
    }
    const q = (params.get("q") ?? "").trim().toLowerCase()
    const valid = path === "/reverseiplookup/" ? /^[0-9a-f.:]+$/.test(q) : validQuery.test(q)
    if (!valid) return HttpFixture.text("error check your search parameter")
    const lines = linesFor(records, path, q)
    return HttpFixture.text(lines.length === 0 ? `No records found for ${q}` : lines.join("\n"))
  })
}
