/**
 * hackertarget_hostsearch: host names under a domain and their addresses from HackerTarget's
 * host search (`GET {base}/hostsearch/?q={domain}`, optional `apikey`), which answers CSV
 * `host,ip` lines, or a line of text with status 200 when its quota is spent or the query fails.
 */
import { Clock, Effect, Option, Redacted, Schema } from "effect"
import {
  AuthFailed,
  BadResponse,
  defineModule,
  expectOk,
  finding,
  httpSession,
  RateLimited,
  targetValue
} from "../Module.js"
import type { Finding } from "../Module.js"
import { inScope } from "../Scope.js"

export const HackertargetConfig = Schema.Struct({
  /** Report the addresses of the names as IP findings. */
  ips: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type HackertargetConfig = typeof HackertargetConfig.Type

const dayMs = 86_400_000

/** A `host,ip` line; some lines hold a bare host name. */
export type Row = readonly [host: string, ip: string | null]

/** The CSV rows (with how many lines were not readable and why the first was not), or the line that says why there are none. */
type Parsed =
  | {
    readonly _tag: "Rows"
    readonly rows: ReadonlyArray<Row>
    readonly skipped: number
    readonly reason: string | undefined
  }
  | { readonly _tag: "Quota" }
  | { readonly _tag: "Refused"; readonly message: string }

/** One line as a row: `host,ip` or a bare host name, the host a domain name. */
const parseLine = (line: string): Row | undefined => {
  const parts = line.split(",").map((part) => part.trim())
  if (parts.length > 2 || Option.isNone(finding("DOMAIN", parts[0]!, { confidence: 0 }))) return undefined
  return [parts[0]!, parts[1] === undefined || parts[1] === "" ? null : parts[1]]
}

export const parseAnswer = (body: string): Parsed => {
  const text = body.trim()
  if (text === "" || /^no records found/i.test(text)) return { _tag: "Rows", rows: [], skipped: 0, reason: undefined }
  if (/^api count exceeded/i.test(text)) return { _tag: "Quota" }
  if (/^error/i.test(text)) return { _tag: "Refused", message: text.slice(0, 120) }
  const rows: Array<Row> = []
  let skipped = 0
  let reason: string | undefined
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue
    const row = parseLine(line)
    if (row !== undefined) rows.push(row)
    else {
      skipped++
      reason ??= `a line is not host,ip: ${line.slice(0, 80)}`
    }
  }
  return { _tag: "Rows", rows, skipped, reason }
}

export const extractFindings = (
  rows: ReadonlyArray<Row>,
  domain: string,
  config: HackertargetConfig
): ReadonlyArray<Finding> => {
  const domains = new Map<string, Finding>()
  const ips = new Map<string, { readonly finding: Finding; readonly hosts: Array<string> }>()
  for (const [host, ip] of rows) {
    const name = finding("DOMAIN", host, { confidence: 0.7, metadata: ip === null ? {} : { ip } })
    if (Option.isNone(name) || !inScope(name.value.value, domain)) continue
    if (!domains.has(name.value.value)) domains.set(name.value.value, name.value)
    if (!config.ips || ip === null) continue
    const address = finding("IP", ip, { confidence: 0.6 })
    if (Option.isNone(address)) continue
    const current = ips.get(address.value.value) ?? { finding: address.value, hosts: [] }
    current.hosts.push(name.value.value)
    ips.set(address.value.value, current)
  }
  const addresses = Array.from(ips.values()).map(({ finding, hosts }): Finding => ({
    ...finding,
    metadata: { hostnames: hosts }
  }))
  return [...domains.values(), ...addresses].sort((a, b) =>
    a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)
  )
}

export const hackertargetHostsearch = defineModule({
  name: "hackertarget_hostsearch",
  description: "Finds subdomains and their addresses through HackerTarget's host search",
  version: "1.1.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP"],
  flags: ["passive", "safe"],
  configSchema: HackertargetConfig,
  default_config: { ips: true },
  source: {
    id: "hackertarget",
    name: "HackerTarget host search",
    baseUrl: "https://api.hackertarget.com",
    // Keyless use is 50 queries a day per address.
    rateLimit: { requests: 50, perSeconds: 86_400 },
    requiresKey: false,
    proxy: true
  },
  setup: (config: HackertargetConfig, ctx) =>
    Effect.map(httpSession<HackertargetConfig>("hackertarget_hostsearch", "hackertarget")(config, ctx), (session) => ({
      ...session,
      notes: ctx.notes
    })),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("hackertarget_hostsearch", task, "DOMAIN")
      const key = Option.match(session.key, { onNone: () => ({}), onSome: (key) => ({ apikey: Redacted.value(key) }) })
      const response = yield* session.http.get(`${session.base}/hostsearch/`, { query: { q: domain, ...key } }).pipe(
        Effect.flatMap(expectOk)
      )
      const parsed = parseAnswer(response.body)
      switch (parsed._tag) {
        case "Quota": {
          // The quota is daily: it comes back at the next midnight UTC.
          const now = yield* Clock.currentTimeMillis
          return yield* new RateLimited({
            reason: "hackertarget: API count exceeded",
            retryAfterMs: dayMs - (now % dayMs)
          })
        }
        case "Refused":
          return yield* (/api ?key/i.test(parsed.message)
            ? new AuthFailed({ reason: "hackertarget rejected the API key" })
            : new BadResponse({ reason: `hackertarget refused the query: ${parsed.message}`, status: response.status }))
        case "Rows": {
          if (parsed.reason !== undefined) {
            if (parsed.rows.length === 0) {
              return yield* new BadResponse({ reason: `hackertarget: ${parsed.reason}`, status: response.status })
            }
            yield* session.notes.skipped(parsed.reason, parsed.skipped)
          }
          const findings = extractFindings(parsed.rows, domain, session.config)
          yield* session.log("hackertarget answered", { domain, rows: parsed.rows.length, findings: findings.length })
          return findings
        }
      }
    })
})
