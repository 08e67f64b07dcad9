/**
 * greynoise_community: what GreyNoise's community API says of an address
 * (`GET {base}/v3/community/{ip}`, key in the `key` header, optional: keyless clients get a few
 * lookups a day). `noise` is an address seen scanning the internet, `riot` one of a known benign
 * service (a CDN, a resolver); `classification` is malicious, benign or unknown and `name` the actor
 * or service ("unknown" when none). 404 (`IP not observed…`) is nothing known. The address comes back
 * with the verdict in its metadata, the actor or service as an ORGANIZATION, the visualizer page as a URL.
 */
import { Option, Schema } from "effect"
import { optional, present } from "../internal/Fields.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"

export const GreynoiseAnswer = Schema.Struct({
  ip: Schema.String,
  noise: Schema.Boolean,
  riot: Schema.Boolean,
  classification: optional(Schema.String),
  name: optional(Schema.String),
  link: optional(Schema.String),
  last_seen: optional(Schema.String),
  message: optional(Schema.String)
})
export type GreynoiseAnswer = typeof GreynoiseAnswer.Type

export const greynoiseFindings = (answer: GreynoiseAnswer, ip: string): ReadonlyArray<Finding> => {
  if (!answer.noise && !answer.riot) return []
  const verdict = present({
    noise: answer.noise,
    riot: answer.riot,
    classification: answer.classification,
    actor: answer.name === "unknown" ? undefined : answer.name,
    last_seen: answer.last_seen
  })
  const named = answer.name !== undefined && answer.name !== "unknown" && answer.name.trim() !== ""
  return [
    finding("IP", ip, {
      confidence: answer.classification === "malicious" ? 0.85 : 0.7,
      source_data: { ...answer },
      metadata: { greynoise: verdict, ...(answer.classification === "malicious" ? { malicious: true } : {}) }
    }),
    named
      ? finding("ORGANIZATION", answer.name!, {
        confidence: answer.riot ? 0.8 : 0.6,
        metadata: { ip, role: answer.riot ? "benign service (RIOT)" : "scanning actor", ...verdict }
      })
      : Option.none(),
    answer.link === undefined ? Option.none() : finding("URL", answer.link, {
      confidence: 0.9,
      metadata: { ip, role: "GreyNoise visualizer page", ...verdict }
    })
  ].flatMap(Option.toArray)
}

export const greynoiseCommunity = pagedApi({
  name: "greynoise_community",
  title: "GreyNoise Community",
  description: "Tells whether an address scans the internet (and who) or belongs to a benign service, via GreyNoise",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["IP", "ORGANIZATION", "URL"],
  source: {
    id: "greynoise",
    name: "GreyNoise Community API",
    baseUrl: "https://api.greynoise.io",
    // The community plan allows a few dozen lookups a day (ten without a key): a slow trickle.
    rateLimit: { requests: 1, perSeconds: 2, burst: 3 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.header("key"),
  format: Formats.json,
  request: (target) => ({ path: `/v3/community/${target.value}` }),
  empty: [404],
  rows: (body) => [body],
  row: GreynoiseAnswer,
  findings: ([answer], target) => (answer === undefined ? [] : greynoiseFindings(answer, target.value))
})
