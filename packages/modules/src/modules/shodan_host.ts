/**
 * shodan_host: what Shodan's scanners saw on an address (`GET {base}/shodan/host/{ip}?key=…`):
 * open ports, host names, the products in its banners, the holding organization, the CVEs Shodan
 * lists (with CVSS and whether it verified them) and the certificates of its TLS banners.
 */
import { Effect, Option, Predicate, Redacted, Schema } from "effect"
import * as Rows from "../kinds/Rows.js"
import { apiKey, BadResponse, defineModule, endpoint, expectOk, finding, targetValue } from "../Module.js"
import type { CollectionNotes, DataSource, Finding } from "../Module.js"

/** Shodan's API: one source (one key, one rate limit) for every module that asks it. */
export const shodanSource = {
  id: "shodan",
  name: "Shodan",
  baseUrl: "https://api.shodan.io",
  // Shodan's API allows one request per second on every plan.
  rateLimit: { requests: 1, perSeconds: 1 },
  requiresKey: true,
  proxy: true
} satisfies DataSource

export const Banner = Schema.Struct({
  port: Schema.Int,
  transport: Schema.optionalWith(Schema.String, { exact: true }),
  product: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  version: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  cpe23: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  timestamp: Schema.optionalWith(Schema.String, { exact: true }),
  /** `{ "CVE-…": { cvss, verified, summary, … } }`, read leniently. */
  vulns: Schema.optionalWith(Schema.Unknown, { exact: true }),
  /** `{ cert: { fingerprint: { sha256 } } }`, read leniently. */
  ssl: Schema.optionalWith(Schema.Unknown, { exact: true })
})
export type Banner = typeof Banner.Type

/** What of a host answer could be read; each list item by item, so one odd banner does not lose the others. */
export interface ShodanHost {
  readonly ports?: ReadonlyArray<number>
  readonly hostnames?: ReadonlyArray<string>
  readonly org?: string | null
  readonly asn?: string | null
  readonly data?: ReadonlyArray<Banner>
  /** CVE ids Shodan lists for the host (a leading `!` marks one it no longer sees). */
  readonly vulns?: ReadonlyArray<string>
}

const text = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value : null)

/** The host's parts; BadResponse when it is not an object, or nothing in it is usable and something was malformed. */
export const readHost = (body: unknown, notes: CollectionNotes): Effect.Effect<ShodanHost, BadResponse> =>
  Effect.gen(function*() {
    if (!Predicate.isRecord(body)) return yield* new BadResponse({ reason: "the answer is not an object" })
    const lists = {
      ports: Rows.list(body["ports"], Schema.Int, "ports"),
      hostnames: Rows.list(body["hostnames"], Schema.String, "hostnames"),
      data: Rows.list(body["data"], Banner, "data"),
      vulns: Rows.list(body["vulns"], Schema.String, "vulns")
    }
    const org = text(body["org"])
    const usable = Object.values(lists).reduce((n, list) => n + list.rows.length, org === null ? 0 : 1)
    const problem = Object.values(lists).find((list) => list.reason !== undefined)?.reason ??
      (body["ip_str"] !== undefined && typeof body["ip_str"] !== "string" ? "ip_str is not a string" : undefined)
    if (usable === 0 && problem !== undefined) {
      return yield* new BadResponse({ reason: `nothing in the answer could be read: ${problem}` })
    }
    return {
      ports: yield* Rows.keep(lists.ports, notes),
      hostnames: yield* Rows.keep(lists.hostnames, notes),
      data: yield* Rows.keep(lists.data, notes),
      vulns: yield* Rows.keep(lists.vulns, notes),
      org,
      asn: text(body["asn"])
    }
  })

/** A banner's CVEs with what Shodan says of each (CVSS, whether it verified it, a summary). */
const bannerVulns = (
  banner: Banner
): ReadonlyArray<{ readonly cve: string; readonly details: Record<string, unknown> }> =>
  Predicate.isRecord(banner.vulns)
    ? Object.entries(banner.vulns).map(([cve, details]) => {
      const d = Predicate.isRecord(details) ? details : {}
      const cvss = typeof d["cvss"] === "number" ? d["cvss"] : typeof d["cvss"] === "string" ? Number(d["cvss"]) : NaN
      return {
        cve,
        details: {
          ...(Number.isFinite(cvss) ? { cvss } : {}),
          ...(typeof d["verified"] === "boolean" ? { verified: d["verified"] } : {}),
          ...(typeof d["summary"] === "string" ? { summary: d["summary"].slice(0, 500) } : {})
        }
      }
    })
    : []

/** The SHA-256 fingerprint of the certificate a TLS banner showed. */
const certificateOf = (banner: Banner): string | null => {
  const cert = Predicate.isRecord(banner.ssl) ? banner.ssl["cert"] : undefined
  const fingerprint = Predicate.isRecord(cert) ? cert["fingerprint"] : undefined
  return Predicate.isRecord(fingerprint) ? text(fingerprint["sha256"]) : null
}

export const ShodanHostConfig = Schema.Struct({
  /** Ask for historical banners too (`history=true`): more ports, some long closed. */
  history: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true })
})

const sortFindings = (findings: ReadonlyArray<Finding>) =>
  [...findings].sort((a, b) => (a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)))

export const extractFindings = (host: ShodanHost, ip: string): ReadonlyArray<Finding> => {
  const found = new Map<string, Finding>()
  const add = (item: Option.Option<Finding>) => {
    if (Option.isSome(item) && !found.has(`${item.value.type}:${item.value.value}`)) {
      found.set(`${item.value.type}:${item.value.value}`, item.value)
    }
  }
  const where = ip.includes(":") ? `[${ip}]` : ip
  const banners = host.data ?? []
  for (const banner of banners) {
    add(finding("OPEN_PORT", `${where}:${banner.port}`, {
      confidence: 0.9,
      metadata: {
        transport: banner.transport ?? "tcp",
        product: banner.product ?? null,
        seen: banner.timestamp ?? null
      }
    }))
  }
  for (const port of host.ports ?? []) add(finding("OPEN_PORT", `${where}:${port}`, { confidence: 0.9 }))
  for (const name of host.hostnames ?? []) {
    add(finding("DOMAIN", name, { confidence: 0.7, metadata: { ip, source: "shodan hostnames" } }))
  }
  const products = new Map<string, { versions: Set<string>; ports: Set<number>; cpe: Set<string> }>()
  for (const banner of banners) {
    if (banner.product === undefined || banner.product === null || banner.product.trim() === "") continue
    const entry = products.get(banner.product) ?? { versions: new Set(), ports: new Set(), cpe: new Set() }
    if (banner.version) entry.versions.add(banner.version)
    entry.ports.add(banner.port)
    for (const cpe of banner.cpe23 ?? []) entry.cpe.add(cpe)
    products.set(banner.product, entry)
  }
  for (const [product, entry] of products) {
    add(finding("TECHNOLOGY", product, {
      confidence: 0.8,
      metadata: { ip, versions: [...entry.versions], ports: [...entry.ports], cpe23: [...entry.cpe] }
    }))
  }
  if (host.org) add(finding("ORGANIZATION", host.org, { confidence: 0.7, metadata: { ip, asn: host.asn ?? null } }))
  // Per-banner CVEs carry CVSS and whether Shodan verified them; the host's list may name more.
  const vulns = new Map<string, { details: Record<string, unknown>; ports: Array<number> }>()
  for (const banner of banners) {
    for (const { cve, details } of bannerVulns(banner)) {
      const known = vulns.get(cve) ?? { details: {}, ports: [] }
      vulns.set(cve, { details: { ...known.details, ...details }, ports: [...known.ports, banner.port] })
    }
  }
  for (const listed of host.vulns ?? []) {
    const cve = listed.replace(/^!/, "")
    if (!vulns.has(cve)) vulns.set(cve, { details: listed.startsWith("!") ? { no_longer_seen: true } : {}, ports: [] })
  }
  for (const [cve, { details, ports }] of vulns) {
    add(finding("VULNERABILITY", cve, {
      confidence: details["verified"] === true ? 0.9 : 0.5,
      metadata: { ip, verified: false, ...details, ...(ports.length === 0 ? {} : { ports }) }
    }))
  }
  for (const banner of banners) {
    const sha256 = certificateOf(banner)
    if (sha256 !== null) add(finding("CERTIFICATE", sha256, { confidence: 0.9, metadata: { ip, port: banner.port } }))
  }
  return sortFindings(Array.from(found.values()))
}

export const shodanHost = defineModule({
  name: "shodan_host",
  description: "Finds open ports, host names, technologies and the holder of an address via Shodan",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["IP"],
  output_types: ["OPEN_PORT", "DOMAIN", "TECHNOLOGY", "ORGANIZATION", "VULNERABILITY", "CERTIFICATE"],
  flags: ["passive", "safe"],
  configSchema: ShodanHostConfig,
  default_config: { history: false },
  source: shodanSource,
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const base = yield* endpoint(ctx, "shodan_host", "shodan")
      const key = yield* apiKey(ctx, "shodan")
      return { config, base, key, http: ctx.http, log: ctx.log, notes: ctx.notes }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const ip = yield* targetValue("shodan_host", task, "IP")
      // Shodan takes the key in the query string only; the HTTP client leaves queries out of errors.
      const response = yield* session.http.get(`${session.base}/shodan/host/${ip}`, {
        query: { key: Redacted.value(session.key), ...(session.config.history ? { history: "true" } : {}) },
        headers: { accept: "application/json" }
      })
      if (response.status === 404) {
        yield* session.log("shodan_host: no information", { ip })
        return []
      }
      const body = yield* expectOk(response).pipe(Effect.flatMap((ok) => ok.json(Schema.Unknown)))
      const host = yield* readHost(body, session.notes)
      const findings = extractFindings(host, ip)
      yield* session.log("shodan_host answered", { ip, banners: host.data?.length ?? 0, findings: findings.length })
      return findings
    })
})
