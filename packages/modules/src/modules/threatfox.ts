/**
 * threatfox: the indicators of compromise abuse.ch's ThreatFox holds for an address, domain or URL
 * (`POST {base}/api/v1/`, JSON `{"query": "search_ioc", "search_term": …}`, key in `Auth-Key`, which
 * abuse.ch requires). The answer's `query_status` is `ok` with `data[]` (each IOC with `ioc`,
 * `ioc_type` — `ip:port`, `domain`, `url` —, `threat_type`, `malware_printable`, `malware_malpedia`,
 * `confidence_level`, `first_seen`, `last_seen`, `reference`, `tags`), `no_result`, or a refusal
 * (`illegal_search_term`, `unknown_auth_key`). The target comes back marked with the malware it
 * serves; each IOC as the entity it is (an `ip:port` an OPEN_PORT).
 */
import { Effect, Option, Redacted, Schema } from "effect"
import { distinct, optional, present } from "../internal/Fields.js"
import { postJson } from "../internal/JsonPost.js"
import { refusedWith } from "../internal/Refusal.js"
import { canonicalTarget, headerFields, NoConfig } from "../kinds/PagedApi.js"
import { openSession, requireKey, type Target } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { AuthFailed, BadResponse, defineModule, type Finding, finding } from "../Module.js"

export const ThreatfoxIoc = Schema.Struct({
  id: optional(Rows.Stringish),
  ioc: Schema.String.pipe(Schema.minLength(1)),
  ioc_type: Schema.String,
  threat_type: optional(Schema.String),
  malware_printable: optional(Schema.String),
  malware_malpedia: optional(Schema.String),
  confidence_level: optional(Schema.Number),
  first_seen: optional(Schema.String),
  last_seen: optional(Schema.String),
  reference: optional(Schema.String),
  tags: optional(Schema.Array(Schema.String))
})
export type ThreatfoxIoc = typeof ThreatfoxIoc.Type

const iocEntity = (ioc: ThreatfoxIoc): Option.Option<readonly ["OPEN_PORT" | "DOMAIN" | "URL" | "IP", string]> => {
  switch (ioc.ioc_type) {
    case "ip:port":
      return Option.some(["OPEN_PORT", ioc.ioc])
    case "domain":
      return Option.some(["DOMAIN", ioc.ioc])
    case "url":
      return Option.some(["URL", ioc.ioc])
    default:
      return Option.none()
  }
}

export const threatfoxFindings = (iocs: ReadonlyArray<ThreatfoxIoc>, target: Target): ReadonlyArray<Finding> => {
  if (iocs.length === 0) return []
  const details = (ioc: ThreatfoxIoc) =>
    present({
      threat_type: ioc.threat_type,
      malware: ioc.malware_printable,
      malpedia: ioc.malware_malpedia,
      confidence_level: ioc.confidence_level,
      first_seen: ioc.first_seen,
      last_seen: ioc.last_seen,
      tags: ioc.tags,
      reference: ioc.reference,
      threatfox_id: ioc.id
    })
  const malware = Array.from(new Set(iocs.flatMap((ioc) => ioc.malware_printable ?? [])))
  const best = Math.max(...iocs.map((ioc) => ioc.confidence_level ?? 50))
  return distinct([
    finding(target.type, target.value, {
      confidence: Math.max(0.5, best / 100),
      metadata: { threatfox: { iocs: iocs.length, malware }, malicious: true }
    }),
    ...iocs.map((ioc) =>
      Option.flatMap(iocEntity(ioc), ([type, value]) =>
        finding(type, value, {
          confidence: Math.max(0.5, (ioc.confidence_level ?? 50) / 100),
          source_data: { ...ioc },
          metadata: { ...details(ioc), searched: target.value, malicious: true }
        }))
    )
  ].flatMap(Option.toArray))
}

const source = {
  id: "threatfox",
  name: "ThreatFox (abuse.ch)",
  baseUrl: "https://threatfox-api.abuse.ch",
  // abuse.ch publishes no figure, only fair use: one query a second.
  rateLimit: { requests: 1, perSeconds: 1, burst: 2 },
  requiresKey: true,
  proxy: true
} as const

export const threatfox = defineModule({
  ...headerFields({
    name: "threatfox",
    title: "ThreatFox IOC search",
    description: "Finds the malware indicators abuse.ch's ThreatFox holds for an address, domain or URL",
    flags: ["passive", "safe"],
    config: NoConfig,
    input_types: ["IP", "DOMAIN", "URL"],
    output_types: ["IP", "DOMAIN", "URL", "OPEN_PORT"]
  }),
  source,
  setup: openSession<typeof NoConfig.Type>("threatfox", source),
  collect: (session, task) =>
    Effect.gen(function*() {
      yield* requireKey(session, source)
      const target = yield* canonicalTarget("threatfox", task)
      const key = Option.match(session.key, { onNone: () => ({}), onSome: (k) => ({ "auth-key": Redacted.value(k) }) })
      const { body } = yield* postJson(
        session.http,
        `${session.base}/api/v1/`,
        { query: "search_ioc", search_term: target.value },
        { headers: key }
      )
      const status = Rows.at(body, "query_status")
      if (status === "no_result" || status === "no_results") return []
      if (status === "unknown_auth_key") return yield* new AuthFailed({ reason: "threatfox refused the key" })
      if (status !== "ok") {
        const data = Rows.at(body, "data")
        return yield* refusedWith(
          "threatfox",
          `query_status ${String(status)}${typeof data === "string" ? `: ${data}` : ""}`
        )
      }
      const data = Rows.at(body, "data")
      if (!Array.isArray(data)) return yield* new BadResponse({ reason: "the answer has no data list" })
      const iocs = yield* Rows.decodeEach(data, Rows.schema(ThreatfoxIoc), session.notes)
      const findings = threatfoxFindings(iocs, target)
      yield* session.log("threatfox answered", { target: target.value, iocs: iocs.length, findings: findings.length })
      return findings
    })
})
