/**
 * asn_lookup: the autonomous system announcing an address, its prefix and the AS's holder,
 * from RIPEstat's Data API (`GET {base}/data/network-info/data.json?resource={ip}`, then
 * `GET {base}/data/as-overview/data.json?resource=AS{n}`, cached for the session). ASNs are read
 * one by one (as text or numbers); a holder lookup that fails keeps the ASN and prefix already found,
 * with a warning.
 */
import { Effect, Either, Option, Ref, Schema } from "effect"
import * as Rows from "../kinds/Rows.js"
import type { HttpClient } from "../Module.js"
import { BadResponse, defineModule, endpoint, expectOk, finding, targetValue } from "../Module.js"
import type { CollectionNotes, Finding } from "../Module.js"

/** RIPEstat's envelope around every data call's answer. */
const envelope = <A, I>(data: Schema.Schema<A, I>) =>
  Schema.Struct({
    status: Schema.String,
    status_code: Schema.optionalWith(Schema.Number, { exact: true }),
    data
  })

/** The ASNs are read one by one (see `asnsOf`). */
export const NetworkInfo = envelope(Schema.Struct({
  asns: Schema.optionalWith(Schema.Unknown, { exact: true }),
  prefix: Schema.optionalWith(Schema.String, { exact: true, nullable: true })
}))

export const AsOverview = envelope(Schema.Struct({
  holder: Schema.optionalWith(Schema.String, { exact: true, nullable: true })
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

/** The ASNs of a network-info answer: text or numbers, one value or a list; odd items skipped. */
const asnsOf = (asns: unknown) =>
  Rows.list(Array.isArray(asns) || asns === undefined || asns === null ? asns : [asns], Rows.Stringish, "asns")

interface HolderSession {
  readonly base: string
  readonly http: HttpClient
  readonly notes: CollectionNotes
  readonly holders: Ref.Ref<Map<string, Option.Option<string>>>
}

/**
 * The AS's holder, asked for once per session. A failed lookup is a warning, not the task's failure:
 * the ASN is already known; it is not cached, so a later task asks again.
 */
const holderOf = (session: HolderSession, asn: string) =>
  Effect.gen(function*() {
    const cached = (yield* Ref.get(session.holders)).get(asn)
    if (cached !== undefined) return cached
    const answer = yield* Effect.either(
      call(session.http, `${session.base}/data/as-overview/data.json`, asn, AsOverview)
    )
    if (Either.isLeft(answer)) {
      yield* session.notes.warn(`the holder of ${asn} could not be looked up: ${answer.left.message}`)
      return Option.none<string>()
    }
    const holder = Option.fromNullable(answer.right.holder)
    yield* Ref.update(session.holders, (map) => new Map(map).set(asn, holder))
    return holder
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
      return { config, base, http: ctx.http, log: ctx.log, notes: ctx.notes, holders }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const ip = yield* targetValue("asn_lookup", task, "IP")
      const info = yield* call(session.http, `${session.base}/data/network-info/data.json`, ip, NetworkInfo)
      const asns = yield* Rows.keep(asnsOf(info.asns), session.notes)
      const findings: Array<Finding> = []
      const prefix = info.prefix ?? null
      for (const asn of asns) {
        const found = finding("ASN", asn, { confidence: 0.95, metadata: { ip, prefix } })
        if (Option.isNone(found)) continue
        findings.push(found.value)
        if (!session.config.holder) continue
        const holder = yield* holderOf(session, found.value.value)
        if (Option.isSome(holder)) {
          const organization = finding("ORGANIZATION", organizationOf(holder.value), {
            confidence: 0.85,
            metadata: { asn: found.value.value, holder: holder.value }
          })
          if (Option.isSome(organization)) findings.push(organization.value)
        }
      }
      if (prefix !== null && prefix !== "") {
        const netblock = finding("NETBLOCK", prefix, { confidence: 0.95, metadata: { ip, asns } })
        if (Option.isSome(netblock)) findings.push(netblock.value)
      }
      yield* session.log("asn_lookup answered", { ip, asns: asns.length, findings: findings.length })
      return findings
    })
})
