/**
 * shodan_internetdb: a keyless summary of what Shodan saw on an address from InternetDB
 * (`GET {base}/{ip}`): open ports, host names and technologies as CPEs; its 404
 * `{"detail": "No information available"}` means nothing is known.
 */
import { Effect, Option, Schema } from "effect"
import { defineModule, expectOk, finding, httpSession, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

export const InternetdbRecord = Schema.Struct({
  ip: Schema.String,
  ports: Schema.Array(Schema.Int),
  cpes: Schema.Array(Schema.String),
  hostnames: Schema.Array(Schema.String),
  tags: Schema.Array(Schema.String),
  vulns: Schema.Array(Schema.String)
})
export type InternetdbRecord = typeof InternetdbRecord.Type

export const InternetdbConfig = Schema.Struct({})

/** "cpe:/a:f5:nginx:1.24.0" → its part, vendor, product and version (CPE 2.2 URI binding). */
export const parseCpe = (cpe: string) => {
  const [, part, vendor, product, version] = cpe.replace(/^cpe:\//, "cpe:").split(":")
  return { part: part ?? null, vendor: vendor ?? null, product: product ?? null, version: version ?? null }
}

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
  const unique = new Map([...ports, ...names, ...technologies].map((item) => [`${item.type}:${item.value}`, item]))
  return sortFindings(Array.from(unique.values()))
}

export const shodanInternetdb = defineModule({
  name: "shodan_internetdb",
  description: "Finds open ports, host names and technologies of an address via Shodan's keyless InternetDB",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["IP"],
  output_types: ["OPEN_PORT", "DOMAIN", "TECHNOLOGY"],
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
  setup: httpSession<typeof InternetdbConfig.Type>("shodan_internetdb", "internetdb"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const ip = yield* targetValue("shodan_internetdb", task, "IP")
      const response = yield* session.http.get(`${session.base}/${ip}`, { headers: { accept: "application/json" } })
      if (response.status === 404) {
        yield* session.log("shodan_internetdb: no information", { ip })
        return []
      }
      const record = yield* expectOk(response).pipe(Effect.flatMap((ok) => ok.json(InternetdbRecord)))
      const findings = extractFindings(record, ip)
      yield* session.log("shodan_internetdb answered", { ip, findings: findings.length })
      return findings
    })
})
