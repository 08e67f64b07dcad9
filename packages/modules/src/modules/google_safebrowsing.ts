/**
 * google_safebrowsing: whether Google Safe Browsing lists a site or URL as malware, social
 * engineering (phishing), unwanted or harmful software (`POST {base}/v4/threatMatches:find?key=…`,
 * JSON `{client, threatInfo: {threatTypes, platformTypes, threatEntryTypes: ["URL"], threatEntries:
 * [{url}]}}`, key required). A domain is asked as its http and https home pages. The answer is `{}`
 * when nothing matches, else `matches[]` each with `threatType`, `platformType`, `threat.url` and
 * `cacheDuration`. An invalid key is a 400 whose `error.message` names the key.
 */
import { Effect, Option, Predicate, Redacted, Schema } from "effect"
import { optional } from "../internal/Fields.js"
import { postJson } from "../internal/JsonPost.js"
import { canonicalTarget, headerFields } from "../kinds/PagedApi.js"
import { openSession, requireKey, type Target } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { AuthFailed, BadResponse, defineModule, type Finding, finding } from "../Module.js"

const ThreatType = Schema.Literal(
  "MALWARE",
  "SOCIAL_ENGINEERING",
  "UNWANTED_SOFTWARE",
  "POTENTIALLY_HARMFUL_APPLICATION"
)

export const SafeBrowsingConfig = Schema.Struct({
  /** The lists asked. */
  threat_types: Schema.optionalWith(Schema.Array(ThreatType).pipe(Schema.minItems(1)), {
    default: () => ["MALWARE", "SOCIAL_ENGINEERING", "UNWANTED_SOFTWARE", "POTENTIALLY_HARMFUL_APPLICATION"],
    exact: true
  })
})
export type SafeBrowsingConfig = typeof SafeBrowsingConfig.Type

export const SafeBrowsingMatch = Schema.Struct({
  threatType: Schema.String,
  platformType: optional(Schema.String),
  threatEntryType: optional(Schema.String),
  threat: Schema.Struct({ url: Schema.String }),
  cacheDuration: optional(Schema.String)
})
export type SafeBrowsingMatch = typeof SafeBrowsingMatch.Type

/** The URLs asked for a target: a URL as it is, a domain as its two home pages. */
export const urlsFor = (target: Target): ReadonlyArray<string> =>
  target.type === "URL" ? [target.value] : [`http://${target.value}/`, `https://${target.value}/`]

export const requestBody = (urls: ReadonlyArray<string>, config: SafeBrowsingConfig) => ({
  client: { clientId: "mirage", clientVersion: "1.0.0" },
  threatInfo: {
    threatTypes: config.threat_types,
    platformTypes: ["ANY_PLATFORM"],
    threatEntryTypes: ["URL"],
    threatEntries: urls.map((url) => ({ url }))
  }
})

export const safeBrowsingFindings = (
  matches: ReadonlyArray<SafeBrowsingMatch>,
  target: Target
): ReadonlyArray<Finding> => {
  const byUrl = new Map<string, Set<string>>()
  for (const match of matches) {
    byUrl.set(match.threat.url, (byUrl.get(match.threat.url) ?? new Set()).add(match.threatType))
  }
  const threats = Array.from(new Set(matches.map((match) => match.threatType))).sort()
  if (threats.length === 0) return []
  const verdict = { safe_browsing: { threat_types: threats }, malicious: true }
  return [
    ...(target.type === "DOMAIN"
      ? Option.toArray(finding("DOMAIN", target.value, { confidence: 0.9, metadata: verdict }))
      : []),
    ...Array.from(byUrl, ([url, types]) =>
      finding("URL", url, {
        confidence: 0.9,
        metadata: { safe_browsing: { threat_types: [...types].sort() }, malicious: true, searched: target.value }
      })).flatMap(Option.toArray)
  ]
}

const source = {
  id: "google_safebrowsing",
  name: "Google Safe Browsing Lookup API v4",
  baseUrl: "https://safebrowsing.googleapis.com",
  // The Lookup API's default quota is 10,000 requests a day.
  rateLimit: { requests: 5, perSeconds: 1, burst: 10 },
  requiresKey: true,
  proxy: true
} as const

export const googleSafebrowsing = defineModule({
  ...headerFields({
    name: "google_safebrowsing",
    title: "Google Safe Browsing",
    description: "Tells whether Google Safe Browsing lists a site or URL as malware, phishing or unwanted software",
    flags: ["passive", "safe"],
    config: SafeBrowsingConfig,
    input_types: ["DOMAIN", "URL"],
    output_types: ["DOMAIN", "URL"]
  }),
  source,
  setup: openSession<SafeBrowsingConfig>("google_safebrowsing", source),
  collect: (session, task) =>
    Effect.gen(function*() {
      yield* requireKey(session, source)
      const target = yield* canonicalTarget("google_safebrowsing", task)
      const key = Option.match(session.key, { onNone: () => ({}), onSome: (k) => ({ key: Redacted.value(k) }) })
      const { body, response } = yield* postJson(
        session.http,
        `${session.base}/v4/threatMatches:find`,
        requestBody(urlsFor(target), session.config),
        { query: key, answers: [400] }
      )
      if (response.status === 400) {
        const message = Rows.at(body, "error.message")
        const reason = `safe browsing refused: ${typeof message === "string" ? message.slice(0, 200) : "HTTP 400"}`
        return yield* (typeof message === "string" && /api key/i.test(message)
          ? new AuthFailed({ reason, status: 400 })
          : new BadResponse({ reason, status: 400 }))
      }
      if (!Predicate.isRecord(body)) return yield* new BadResponse({ reason: "the answer is not an object" })
      const raw = body["matches"] ?? []
      if (!Array.isArray(raw)) return yield* new BadResponse({ reason: "matches is not a list" })
      const matches = yield* Rows.decodeEach(raw, Rows.schema(SafeBrowsingMatch), session.notes)
      const findings = safeBrowsingFindings(matches, target)
      yield* session.log("google_safebrowsing answered", { target: target.value, matches: matches.length })
      return findings
    })
})
