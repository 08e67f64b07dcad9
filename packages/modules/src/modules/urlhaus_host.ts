/**
 * urlhaus_host: the malware-distribution URLs abuse.ch's URLhaus has seen on a host
 * (`POST {base}/v1/host/`, form `host={domain or IP}`, key in `Auth-Key`, which abuse.ch requires of
 * every API request). The answer is HTTP 200 with its own `query_status`: `ok` with the host's
 * `blacklists` and its `urls[]` (each with `url`, `url_status` online/offline, `threat`, `tags`,
 * `date_added`, `urlhaus_reference`), `no_results` for a host it never saw, `invalid_host`, or
 * `unknown_auth_key`. Each URL is a finding with its threat and status.
 */
import { Effect, Option, Predicate, Redacted, Schema } from "effect"
import { refusedWith } from "../internal/Refusal.js"
import { canonicalTarget, headerFields, NoConfig } from "../kinds/PagedApi.js"
import { openSession, requireKey } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { AuthFailed, BadResponse, defineModule, expectOk, type Finding, finding, formBody } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

export const UrlhausUrl = Schema.Struct({
  url: Schema.String.pipe(Schema.minLength(1)),
  id: optional(Rows.Stringish),
  url_status: optional(Schema.String),
  threat: optional(Schema.String),
  date_added: optional(Schema.String),
  reporter: optional(Schema.String),
  urlhaus_reference: optional(Schema.String),
  tags: optional(Schema.Array(Schema.String))
})
export type UrlhausUrl = typeof UrlhausUrl.Type

const present = (fields: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== ""))

/** The lists that name the host (`{"spamhaus_dbl": "not listed", "surbl": "listed"}` keeps surbl). */
const listedOn = (blacklists: unknown): ReadonlyArray<string> =>
  Predicate.isRecord(blacklists)
    ? Object.entries(blacklists).flatMap(([list, verdict]) =>
      typeof verdict === "string" && verdict !== "not listed" ? [`${list}: ${verdict}`] : []
    )
    : []

export const urlFindings = (
  urls: ReadonlyArray<UrlhausUrl>,
  host: string,
  blacklists: ReadonlyArray<string>
): ReadonlyArray<Finding> =>
  urls.flatMap((entry) =>
    Option.toArray(finding("URL", entry.url, {
      // An offline URL was malicious once; an online one still is.
      confidence: entry.url_status === "online" ? 0.9 : 0.75,
      source_data: { ...entry },
      metadata: present({
        host,
        threat: entry.threat,
        status: entry.url_status,
        tags: entry.tags ?? undefined,
        date_added: entry.date_added,
        reporter: entry.reporter,
        reference: entry.urlhaus_reference,
        host_blacklists: blacklists.length === 0 ? undefined : blacklists
      })
    }))
  )

const source = {
  id: "urlhaus",
  name: "URLhaus (abuse.ch)",
  baseUrl: "https://urlhaus-api.abuse.ch",
  // abuse.ch publishes no figure, only fair use: one query a second.
  rateLimit: { requests: 1, perSeconds: 1, burst: 2 },
  requiresKey: true,
  proxy: true
} as const

export const urlhausHost = defineModule({
  ...headerFields({
    name: "urlhaus_host",
    title: "URLhaus host lookup",
    description: "Finds the malware-distribution URLs abuse.ch's URLhaus has seen on a domain or address",
    flags: ["passive", "safe"],
    config: NoConfig,
    input_types: ["DOMAIN", "IP"],
    output_types: ["URL"]
  }),
  source,
  setup: openSession<typeof NoConfig.Type>("urlhaus_host", source),
  collect: (session, task) =>
    Effect.gen(function*() {
      yield* requireKey(session, source)
      const target = yield* canonicalTarget("urlhaus_host", task)
      const key = Option.match(session.key, { onNone: () => ({}), onSome: (k) => ({ "auth-key": Redacted.value(k) }) })
      const response = yield* session.http.post(`${session.base}/v1/host/`, {
        ...formBody({ host: target.value }),
        headers: { accept: "application/json", ...key }
      }).pipe(Effect.flatMap(expectOk))
      const body = yield* Effect.mapError(
        Schema.decodeUnknown(Schema.parseJson())(response.body),
        (error) => new BadResponse({ reason: `unreadable answer: ${Rows.firstIssue(error)}`, status: response.status })
      )
      const status = Rows.at(body, "query_status")
      if (status === "no_results") return []
      if (status === "unknown_auth_key") return yield* new AuthFailed({ reason: "urlhaus refused the key" })
      if (status !== "ok") return yield* refusedWith("urlhaus", `query_status ${String(status)}`)
      const urls = Rows.at(body, "urls")
      if (!Array.isArray(urls)) return yield* new BadResponse({ reason: "the answer has no urls list" })
      const rows = yield* Rows.decodeEach(urls, Rows.schema(UrlhausUrl), session.notes)
      const findings = urlFindings(rows, target.value, listedOn(Rows.at(body, "blacklists")))
      yield* session.log("urlhaus_host answered", {
        target: target.value,
        urls: rows.length,
        findings: findings.length
      })
      return findings
    })
})
