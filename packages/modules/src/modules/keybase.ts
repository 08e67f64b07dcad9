/**
 * keybase: the identities a Keybase user has proven (`GET {base}/_/api/1.0/user/lookup.json?usernames={name}
 * &fields=basics,proofs_summary`, no key): `{"status": {"code": 0}, "them": [{"basics", "proofs_summary": {"all": [
 * {"proof_type", "nametag", "service_url", "state"}]}}]}`, `them: [null]` (or status 205) for no such user. Social
 * proofs are USERNAMEs on their service (and its profile URL), DNS and web-site proofs the DOMAINs the user controls.
 */
import { Option, Predicate, Schema } from "effect"
import { refusedWith } from "../internal/Refusal.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

export const Proof = Schema.Struct({
  proof_type: Schema.String,
  nametag: Schema.String,
  service_url: Schema.optionalWith(Schema.String, { exact: true, nullable: true }),
  state: Schema.optionalWith(Schema.Number, { exact: true, nullable: true })
})
export type Proof = typeof Proof.Type

const siteProofs = new Set(["dns", "generic_web_site"])

export const proofFindings = (proofs: ReadonlyArray<Proof>, user: string): ReadonlyArray<Finding> =>
  proofs.filter((proof) => proof.state === undefined || proof.state === 1).flatMap((proof) => {
    const metadata = { keybase_user: user, service: proof.proof_type, proven: true }
    if (siteProofs.has(proof.proof_type)) {
      const host = proof.nametag.replace(/^https?:\/\//, "").replace(/\/.*$/, "")
      return Option.toArray(finding("DOMAIN", host, { confidence: 0.9, metadata }))
    }
    const url = proof.service_url !== undefined && /^https?:\/\//.test(proof.service_url)
      ? proof.service_url
      : undefined
    return [
      ...Option.toArray(finding("USERNAME", proof.nametag, { confidence: 0.9, metadata })),
      ...(url === undefined ? [] : Option.toArray(finding("URL", url, { confidence: 0.9, metadata })))
    ]
  })

export const keybase = pagedApi({
  name: "keybase",
  title: "Keybase proofs",
  description: "Finds the accounts and domains a Keybase user has cryptographically proven",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["USERNAME"],
  output_types: ["USERNAME", "URL", "DOMAIN"],
  source: {
    id: "keybase",
    name: "Keybase user lookup",
    baseUrl: "https://keybase.io",
    rateLimit: { requests: 1, perSeconds: 1, burst: 3 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (target) => ({
    path: "/_/api/1.0/user/lookup.json",
    query: { usernames: target.value, fields: "basics,proofs_summary" }
  }),
  refusal: (body) => {
    const code = Rows.at(body, "status.code")
    return code === 0 || code === 205 ? Option.none() : Option.some(refusedWith("keybase", `status ${String(code)}`))
  },
  // Each proof is a row; no user (null, or status 205) is none.
  rows: (body) => {
    const them = Rows.at(body, "them")
    if (Rows.at(body, "status.code") === 205) return []
    if (!Array.isArray(them)) return undefined
    return them.filter(Predicate.isRecord).flatMap((user) => {
      const all = Rows.at(user, "proofs_summary.all")
      return Array.isArray(all) ? all : []
    })
  },
  row: Proof,
  findings: (rows, target) => proofFindings(rows, target.value)
})
