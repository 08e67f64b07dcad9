/**
 * asn_lookup: the autonomous system announcing an address, its prefix and the AS's holder,
 * from RIPEstat's Data API (`GET {base}/data/network-info/data.json?resource={ip}`, then
 * `GET {base}/data/as-overview/data.json?resource=AS{n}`, cached for the session).
 */
import { Effect, Option, Ref, Schema } from "effect"
import type { HttpClient } from "../Module.js"
import { BadResponse, defineModule, endpoint, expectOk, finding, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

/** RIPEstat's envelope around every data call's answer. */
const envelope = <A, I>(data: Schema.Schema<A, I>) =>
  Schema.Struct({
    status: Schema.String,
    status_code: Schema.optionalWith(Schema.Number, { exact: true }),
    data
  })

export const NetworkInfo = envelope(Schema.Struct({
  asns: Schema.Array(Schema.String),
  prefix: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true })
}))

export const AsOverview = envelope(Schema.Struct({
  resource: Schema.optionalWith(Schema.String, { exact: true }),
  holder: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  announced: Schema.optionalWith(Schema.Boolean, { exact: true })
}))

export const AsnLookupConfig = Schema.Struct({
  /** Look up each AS's holder (one more query per new AS) and report it as an ORGANIZATION. */
  holder: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type AsnLookupConfig = typeof AsnLookupConfig.Type

/** "GOOGLE - Google LLC" → "Google LLC": RIPEstat prefixes the holder with the AS's handle. */
export const organizationOf = (holder: string): string => {
  const at = holder.indexOf(" - ")
  return at < 0 ? holder.trim() : holder.slice(at + 3).trim()
}

/** A RIPEstat call's data, or BadResponse when RIPEstat says it failed. */
const call = <A, I>(
  http: HttpClient,
  url: string,
  resource: string,
  schema: Schema.Schema<{ readonly status: string; readonly data: A }, I>
) =>
  Effect.gen(function*() {
    const response = yield* http.get(url, {
      // RIPEstat asks clients to name themselves with `sourceapp`.
      query: { resource, sourceapp: "mirage-osint" },
      headers: { accept: "application/json" }
    }).pipe(Effect.flatMap(expectOk))
    const answer = yield* response.json(schema)
    if (answer.status !== "ok") {
      return yield* new BadResponse({ reason: `RIPEstat answered status ${answer.status}`, status: response.status })
    }
    return answer.data
  })

export const asnLookup = defineModule({
  name: "asn_lookup",
  description: "Finds the AS announcing an address, its routed prefix and the AS holder via RIPEstat",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["IP"],
  output_types: ["ASN", "NETBLOCK", "ORGANIZATION"],
  flags: ["passive", "safe"],
  configSchema: AsnLookupConfig,
  default_config: { holder: true },
  source: {
    id: "ripestat",
    name: "RIPEstat Data API",
    baseUrl: "https://stat.ripe.net",
    // RIPEstat asks for no more than 8 concurrent queries; stay well under that per second.
    rateLimit: { requests: 4, perSeconds: 1, burst: 8 },
    requiresKey: false,
    proxy: true
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const base = yield* endpoint(ctx, "asn_lookup", "ripestat")
      // Many addresses share an AS: its holder is asked for once per session.
      const holders = yield* Ref.make(new Map<string, Option.Option<string>>())
      return { config, base, http: ctx.http, log: ctx.log, holders }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const ip = yield* targetValue("asn_lookup", task, "IP")
      const info = yield* call(session.http, `${session.base}/data/network-info/data.json`, ip, NetworkInfo)
      const findings: Array<Finding> = []
      const prefix = info.prefix ?? null
      for (const asn of info.asns) {
        const found = finding("ASN", asn, { confidence: 0.95, metadata: { ip, prefix } })
        if (Option.isNone(found)) continue
        findings.push(found.value)
        if (!session.config.holder) continue
        const cached = (yield* Ref.get(session.holders)).get(found.value.value)
        const holder = cached ?? Option.fromNullable(
          (yield* call(session.http, `${session.base}/data/as-overview/data.json`, found.value.value, AsOverview))
            .holder
        )
        yield* Ref.update(session.holders, (map) => new Map(map).set(found.value.value, holder))
        if (Option.isSome(holder)) {
          const organization = finding("ORGANIZATION", organizationOf(holder.value), {
            confidence: 0.85,
            metadata: { asn: found.value.value, holder: holder.value }
          })
          if (Option.isSome(organization)) findings.push(organization.value)
        }
      }
      if (prefix !== null && prefix !== "") {
        const netblock = finding("NETBLOCK", prefix, { confidence: 0.95, metadata: { ip, asns: info.asns } })
        if (Option.isSome(netblock)) findings.push(netblock.value)
      }
      yield* session.log("asn_lookup answered", { ip, asns: info.asns.length, findings: findings.length })
      return findings
    })
})
