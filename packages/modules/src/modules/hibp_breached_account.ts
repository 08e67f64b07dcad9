/**
 * hibp_breached_account: the breaches an email address appears in, from Have I Been Pwned
 * (`GET {base}/api/v3/breachedaccount/{email}?truncateResponse=false`, key in `hibp-api-key`,
 * a user agent required); its 404 means the address is in no breach. Breaches are read one by one:
 * one of an odd shape is skipped and counted, a count or date of another type than documented is
 * left out.
 */
import { Effect, Either, Option, Redacted, Schema } from "effect"
import * as Rows from "../kinds/Rows.js"
import { apiKey, BadResponse, defineModule, endpoint, expectOk, finding, targetValue } from "../Module.js"
import type { Finding } from "../Module.js"

/** A documented field that is left out when absent, null or of another type. */
const optional = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.optionalWith(
    Schema.Union(
      schema,
      Schema.transform(Schema.Unknown, Schema.Undefined, {
        strict: true,
        decode: () => undefined,
        encode: () => undefined
      })
    ),
    { exact: true }
  )

export const Breach = Schema.Struct({
  Name: Schema.String,
  Title: optional(Schema.String),
  Domain: optional(Schema.String),
  BreachDate: optional(Schema.String),
  AddedDate: optional(Schema.String),
  PwnCount: optional(Schema.Number),
  DataClasses: optional(Schema.Array(Schema.String)),
  IsVerified: optional(Schema.Boolean),
  IsFabricated: optional(Schema.Boolean),
  IsSensitive: optional(Schema.Boolean),
  IsSpamList: optional(Schema.Boolean)
})
export type Breach = typeof Breach.Type

const decodeBreach = Rows.schema(Breach)

export const HibpConfig = Schema.Struct({
  /** Also report breaches HIBP could not verify (and spam lists). */
  include_unverified: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})

/** HIBP refuses requests without a user agent naming the client. */
const userAgent = "Mirage-OSINT-Platform"

export const extractFindings = (breaches: ReadonlyArray<Breach>, email: string): ReadonlyArray<Finding> =>
  breaches.flatMap((breach) =>
    Option.toArray(finding("BREACH", breach.Name, {
      // An unverified breach or a spam list says less about the account.
      confidence: breach.IsVerified === false || breach.IsFabricated === true ? 0.5 : 0.9,
      source_data: { ...breach },
      metadata: {
        account: email,
        title: breach.Title ?? breach.Name,
        domain: breach.Domain ?? null,
        breach_date: breach.BreachDate ?? null,
        pwn_count: breach.PwnCount ?? null,
        data_classes: breach.DataClasses ?? [],
        verified: breach.IsVerified ?? null,
        spam_list: breach.IsSpamList ?? null,
        sensitive: breach.IsSensitive ?? null
      }
    }))
  )

export const hibpBreachedAccount = defineModule({
  name: "hibp_breached_account",
  description: "Finds the data breaches an email address appears in via Have I Been Pwned",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["EMAIL"],
  output_types: ["BREACH"],
  flags: ["passive", "safe"],
  configSchema: HibpConfig,
  default_config: { include_unverified: true },
  source: {
    id: "hibp",
    name: "Have I Been Pwned API v3",
    baseUrl: "https://haveibeenpwned.com",
    // The entry plan (Pwned 1) allows 10 requests a minute per key.
    rateLimit: { requests: 10, perSeconds: 60 },
    requiresKey: true,
    proxy: true
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const base = yield* endpoint(ctx, "hibp_breached_account", "hibp")
      const key = yield* apiKey(ctx, "hibp")
      return { config, base, key, http: ctx.http, log: ctx.log, notes: ctx.notes }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const email = yield* targetValue("hibp_breached_account", task, "EMAIL")
      const response = yield* session.http.get(
        `${session.base}/api/v3/breachedaccount/${encodeURIComponent(email)}`,
        {
          query: {
            truncateResponse: "false",
            ...(session.config.include_unverified ? {} : { includeUnverified: "false" })
          },
          headers: {
            "hibp-api-key": Redacted.value(session.key),
            "user-agent": userAgent,
            accept: "application/json"
          }
        }
      )
      if (response.status === 404) {
        yield* session.log("hibp: account in no breach", {})
        return []
      }
      yield* expectOk(response)
      const raws = Either.flatMap(Rows.parseJson(response.body), (body) =>
        Array.isArray(body) ? Either.right(body) : Either.left("the answer is not a list of breaches"))
      if (Either.isLeft(raws)) {
        return yield* new BadResponse({ reason: raws.left, status: response.status })
      }
      const decoded = Rows.decodeAll(raws.right, decodeBreach)
      if (decoded.rows.length === 0 && decoded.reason !== undefined) {
        return yield* new BadResponse({ reason: `no breach of the answer could be read: ${decoded.reason}` })
      }
      const breaches = yield* Rows.keep(decoded, session.notes)
      const findings = extractFindings(breaches, email)
      yield* session.log("hibp answered", { breaches: findings.length })
      return findings
    })
})
