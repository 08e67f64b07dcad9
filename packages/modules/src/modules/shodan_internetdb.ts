/**
 * shodan_internetdb: a keyless summary of what Shodan saw on an address from InternetDB
 * (`GET {base}/{ip}`): open ports, host names, technologies as CPEs and the CVEs Shodan infers
 * from them; its 404 `{"detail": "No information available"}` means nothing is known. Each list
 * is read item by item: an odd item is skipped (and counted), not the whole answer.
 */
import { Effect, Option, Predicate, Schema } from "effect"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, defineModule, expectOk, finding, httpSession, targetValue } from "../Module.js"
import type { CollectionNotes, Finding } from "../Module.js"

export interface InternetdbRecord {
  readonly ports: ReadonlyArray<number>
  readonly cpes: ReadonlyArray<string>
  readonly hostnames: ReadonlyArray<string>
  readonly tags: ReadonlyArray<string>
  readonly vulns: ReadonlyArray<string>
}

export const InternetdbConfig = Schema.Struct({})

/** "cpe:/a:f5:nginx:1.24.0" → its part, vendor, product and version (CPE 2.2 URI binding). */
export const parseCpe = (cpe: string) => {
  const [, part, vendor, product, version] = cpe.replace(/^cpe:\//, "cpe:").split(":")
  return { part: part ?? null, vendor: vendor ?? null, product: product ?? null, version: version ?? null }
}

const Port = Schema.Int.pipe(Schema.between(1, 65535))

/** The record's lists, each read on its own; BadResponse when the answer is not an object or holds nothing usable. */
export const readRecord = (
  body: unknown,
  notes: CollectionNotes
): Effect.Effect<InternetdbRecord, BadResponse> =>
  Effect.gen(function*() {
    if (!Predicate.isRecord(body)) return yield* new BadResponse({ reason: "the answer is not an object" })
    const lists = {
      ports: Rows.list(body["ports"], Port, "ports"),
      cpes: Rows.list(body["cpes"], Schema.String, "cpes"),
      hostnames: Rows.list(body["hostnames"], Schema.String, "hostnames"),
      tags: Rows.list(body["tags"], Schema.String, "tags"),
      vulns: Rows.list(body["vulns"], Schema.String, "vulns")
    }
    const all = Object.values(lists)
    const usable = all.reduce((n, list) => n + list.rows.length, 0)
    const problem = all.find((list) => list.reason !== undefined)?.reason
    if (usable === 0 && problem !== undefined) {
      return yield* new BadResponse({ reason: `nothing in the answer could be read: ${problem}` })
    }
    const record = {
      ports: yield* Rows.keep(lists.ports, notes),
      cpes: yield* Rows.keep(lists.cpes, notes),
      hostnames: yield* Rows.keep(lists.hostnames, notes),
      tags: yield* Rows.keep(lists.tags, notes),
      vulns: yield* Rows.keep(lists.vulns, notes)
    }
    return record
  })

const sortFindings = (findings: ReadonlyArray<Finding>) =>
  [...findings].sort((a, b) => (a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)))

export const extractFindings = (record: InternetdbRecord, ip: string): ReadonlyArray<Finding> => {
  const where = ip.includes(":") ? `[${ip}]` : ip
  // Tags and vulns describe the host as a whole: every finding carries them.
  const context = { ip, tags: record.tags, vulns: record.vulns }
  const ports = record.ports.flatMap((port) =>
    Option.toArray(finding("OPEN_PORT", `${where}:${port}`, { confidence: 0.8, source_data: context }))
  )
  const names = record.hostnames.flatMap((name) =>
    Option.toArray(finding("DOMAIN", name, { confidence: 0.7, source_data: context }))
  )
  const technologies = record.cpes.flatMap((cpe) =>
    Option.toArray(finding("TECHNOLOGY", cpe, { confidence: 0.7, source_data: context, metadata: parseCpe(cpe) }))
  )
  // Shodan infers these from product versions, unverified: reported, with that said in the metadata.
  const vulnerabilities = record.vulns.flatMap((cve) =>
    Option.toArray(finding("VULNERABILITY", cve, {
      confidence: 0.5,
      source_data: context,
      metadata: { ip, verified: false, basis: "version" }
    }))
  )
  const unique = new Map(
    [...ports, ...names, ...technologies, ...vulnerabilities].map((item) => [`${item.type}:${item.value}`, item])
  )
  return sortFindings(Array.from(unique.values()))
}

export const shodanInternetdb = defineModule({
  name: "shodan_internetdb",
  description:
    "Finds open ports, host names, technologies and likely CVEs of an address via Shodan's keyless InternetDB",
  version: "1.1.0",
  author: "Mirage Team",
  input_types: ["IP"],
  output_types: ["OPEN_PORT", "DOMAIN", "TECHNOLOGY", "VULNERABILITY"],
  flags: ["passive", "safe"],
  configSchema: InternetdbConfig,
  default_config: {},
  source: {
    id: "internetdb",
    name: "Shodan InternetDB",
    baseUrl: "https://internetdb.shodan.io",
    // Free and keyless, for non-commercial use: be gentle.
    rateLimit: { requests: 1, perSeconds: 1, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  setup: (config: typeof InternetdbConfig.Type, ctx) =>
    Effect.map(
      httpSession<typeof InternetdbConfig.Type>("shodan_internetdb", "internetdb")(config, ctx),
      (session) => ({
        ...session,
        notes: ctx.notes
      })
    ),
  collect: (session, task) =>
    Effect.gen(function*() {
      const ip = yield* targetValue("shodan_internetdb", task, "IP")
      const response = yield* session.http.get(`${session.base}/${ip}`, { headers: { accept: "application/json" } })
      if (response.status === 404) {
        yield* session.log("shodan_internetdb: no information", { ip })
        return []
      }
      const body = yield* expectOk(response).pipe(Effect.flatMap((ok) => ok.json(Schema.Unknown)))
      const record = yield* readRecord(body, session.notes)
      const findings = extractFindings(record, ip)
      yield* session.log("shodan_internetdb answered", { ip, findings: findings.length })
      return findings
    })
})
