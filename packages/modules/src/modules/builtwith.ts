/**
 * builtwith: the names BuiltWith has indexed under a domain, from its Domain API
 * (`GET {base}/v21/api.json?KEY=…&LOOKUP={domain}` with text, PII and metadata left out). Each result's
 * `Paths` are the pages it crawled, a `SubDomain` label (`""` for the domain itself) under `Domain`;
 * BuiltWith answers 200 even when it refuses, with the reason in `Errors`.
 */
import { Option, Schema } from "effect"
import { refusedWith } from "../internal/Refusal.js"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { labelUnder, subdomainSource } from "../kinds/SubdomainSource.js"

export const BuiltwithPath = Schema.Struct({
  Domain: Schema.String,
  SubDomain: Schema.optionalWith(Schema.NullOr(Schema.String), { exact: true }),
  /** Milliseconds since the epoch. */
  FirstIndexed: Schema.optionalWith(Schema.Number, { exact: true }),
  LastIndexed: Schema.optionalWith(Schema.Number, { exact: true })
})

const results = (body: unknown) => Rows.at(body, "Results")

const refusal = (body: unknown) => {
  const errors = Rows.at(body, "Errors")
  const found = results(body)
  if (!Array.isArray(errors) || errors.length === 0 || (Array.isArray(found) && found.length > 0)) {
    return Option.none()
  }
  const message = Rows.at(errors[0], "Message")
  return Option.some(refusedWith("builtwith", typeof message === "string" ? message : JSON.stringify(errors[0])))
}

export const builtwith = subdomainSource({
  name: "builtwith",
  description: "Finds subdomains among the sites BuiltWith has crawled",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "builtwith",
    name: "BuiltWith",
    baseUrl: "https://api.builtwith.com",
    // BuiltWith allows a few concurrent lookups a second; each spends a credit.
    rateLimit: { requests: 2, perSeconds: 1 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.query("KEY"),
  format: Formats.json,
  request: (domain) => ({
    path: "/v21/api.json",
    query: {
      LOOKUP: domain,
      HIDETEXT: "yes",
      HIDEDL: "yes",
      NOLIVE: "yes",
      NOMETA: "yes",
      NOPII: "yes",
      NOATTR: "yes"
    }
  }),
  refusal,
  // Every result's paths; a result without a list of paths stays one row, which then does not read.
  rows: (body) => {
    const found = results(body)
    if (!Array.isArray(found)) return undefined
    return found.flatMap((result) => {
      const paths = Rows.at(result, "Result.Paths")
      return Array.isArray(paths) ? paths : [result]
    })
  },
  row: BuiltwithPath,
  names: (path) => [labelUnder(path.SubDomain ?? "", path.Domain)],
  evidence: (path) => ({ first_indexed: path.FirstIndexed ?? null, last_indexed: path.LastIndexed ?? null })
})
