/**
 * columbus: names under a domain from Columbus (`GET {base}/api/lookup/{domain}?days={days}`),
 * which answers the labels below the domain (`["www", "api.v2"]`), not full names; `""` is the
 * domain itself. A 404 `{"error": "not found"}` is "nothing known".
 */
import { Schema } from "effect"
import { pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import { subdomainFindings } from "../kinds/SubdomainSource.js"

export const ColumbusConfig = Schema.Struct({
  /** Only names seen in the last this many days (the source keeps years of names, many long gone). */
  days: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 3650)), { default: () => 365, exact: true })
})

export const columbus = pagedApi({
  name: "columbus",
  title: "Columbus",
  description: "Finds subdomains in the Columbus project's database of names seen in CT logs",
  flags: ["passive", "safe"],
  config: ColumbusConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN"],
  source: {
    id: "columbus",
    name: "Columbus (elmasy)",
    baseUrl: "https://columbus.elmasy.com",
    // Undocumented; a community server behind a proxy that answers 429 when pushed.
    rateLimit: { requests: 1, perSeconds: 1, burst: 3 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (target, config) => ({ path: `/api/lookup/${target.value}`, query: { days: config.days } }),
  empty: [404],
  rows: (body) => (Array.isArray(body) ? body : undefined),
  row: Schema.String,
  findings: (labels, target) =>
    subdomainFindings(
      labels,
      target.value,
      (label) => (label.trim() === "" ? [] : [`${label.trim()}.${target.value}`]),
      () => undefined,
      // Many of its names no longer exist.
      { confidence: 0.5 }
    )
})
