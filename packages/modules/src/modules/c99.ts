/**
 * c99: names under a domain, with their addresses, from C99.nl's subdomain finder
 * (`GET {base}/subdomainfinder?key=…&domain=…&json`). C99 answers 200 even when it refuses, with
 * `success: false` and its reason in `error`.
 */
import { Option, Schema } from "effect"
import { refusedWith } from "../internal/Refusal.js"
import { NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { subdomainSource } from "../kinds/SubdomainSource.js"

export const C99Subdomain = Schema.Struct({
  subdomain: Schema.String,
  ip: Schema.optionalWith(Schema.String, { exact: true }),
  cloudflare: Schema.optionalWith(Schema.Boolean, { exact: true })
})

const refusal = (body: unknown) =>
  Rows.at(body, "success") === false
    ? Option.some(refusedWith("c99", String(Rows.at(body, "error") ?? "success is false")))
    : Option.none()

export const c99 = subdomainSource({
  name: "c99",
  title: "C99 subdomain finder",
  description: "Finds subdomains and their addresses with C99.nl's subdomain finder",
  flags: ["passive", "safe"],
  config: NoConfig,
  source: {
    id: "c99",
    name: "C99.nl",
    baseUrl: "https://api.c99.nl",
    // C99 publishes no limit; its scans are slow, so a few a minute.
    rateLimit: { requests: 10, perSeconds: 60, burst: 2 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.query("key"),
  format: Formats.json,
  // `json` is a bare flag: without it the answer is an HTML list.
  request: (domain) => ({ path: "/subdomainfinder", query: { domain, json: "" } }),
  refusal,
  rows: (body) => {
    const found = Rows.at(body, "subdomains")
    return Array.isArray(found) ? found : undefined
  },
  row: C99Subdomain,
  names: (row) => [row.subdomain],
  evidence: (row) => ({ ip: row.ip ?? null, cloudflare: row.cloudflare ?? null })
})
