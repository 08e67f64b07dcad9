/**
 * shodan_host: what Shodan's scanners saw on an address (`GET {base}/shodan/host/{ip}?key=…`):
 * open ports, host names, the products in its banners and the holding organization.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import { apiKey, defineModule, endpoint, expectOk, finding, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

export const Banner = Schema.Struct({
  port: Schema.Int,
  transport: Schema.optionalWith(Schema.String, { exact: true }),
  product: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  version: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  cpe23: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  timestamp: Schema.optionalWith(Schema.String, { exact: true })
})

export const ShodanHost = Schema.Struct({
  ip_str: Schema.String,
  ports: Schema.optionalWith(Schema.Array(Schema.Int), { exact: true }),
  hostnames: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  org: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  isp: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  asn: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  os: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  last_update: Schema.optionalWith(Schema.String, { exact: true }),
  data: Schema.optionalWith(Schema.Array(Banner), { exact: true })
})
export type ShodanHost = typeof ShodanHost.Type

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
  return sortFindings(Array.from(found.values()))
}

export const shodanHost = defineModule({
  name: "shodan_host",
  description: "Finds open ports, host names, technologies and the holder of an address via Shodan",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["IP"],
  output_types: ["OPEN_PORT", "DOMAIN", "TECHNOLOGY", "ORGANIZATION"],
  flags: ["passive", "safe"],
  configSchema: ShodanHostConfig,
  default_config: { history: false },
  source: {
    id: "shodan",
    name: "Shodan",
    baseUrl: "https://api.shodan.io",
    // Shodan's API allows one request per second on every plan.
    rateLimit: { requests: 1, perSeconds: 1 },
    requiresKey: true,
    proxy: true
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const base = yield* endpoint(ctx, "shodan_host", "shodan")
      const key = yield* apiKey(ctx, "shodan")
      return { config, base, key, http: ctx.http, log: ctx.log }
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
      const host = yield* expectOk(response).pipe(Effect.flatMap((ok) => ok.json(ShodanHost)))
      const findings = extractFindings(host, ip)
      yield* session.log("shodan_host answered", { ip, banners: host.data?.length ?? 0, findings: findings.length })
      return findings
    })
})
