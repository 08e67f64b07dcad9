/**
 * peeringdb: who runs an AS and how it peers, from PeeringDB (`GET {base}/api/net?asn={n}`):
 * `data[]` holds the network's record — its name (the operator, an ORGANIZATION), aka, website (a
 * URL), network type, IRR as-set and peering policy. Anonymous clients get 20 requests a minute; a
 * key (`Authorization: Api-Key …`) doubles that.
 */
import { Option, Schema } from "effect"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

const text = Schema.optionalWith(Schema.String, { exact: true, nullable: true })

export const PeeringdbNet = Schema.Struct({
  id: Schema.Int,
  name: Schema.String.pipe(Schema.minLength(1)),
  asn: Schema.Int,
  aka: text,
  name_long: text,
  website: text,
  info_type: text,
  info_scope: text,
  irr_as_set: text,
  policy_general: text
})
export type PeeringdbNet = typeof PeeringdbNet.Type

/** The fields that are set: PeeringDB sends "" for what a network left blank. */
const filled = (fields: Readonly<Record<string, string | number | undefined>>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== ""))

export const networkFindings = (nets: ReadonlyArray<PeeringdbNet>): ReadonlyArray<Finding> =>
  nets.flatMap((net) => {
    const details = filled({
      asn: `AS${net.asn}`,
      peeringdb_id: net.id,
      aka: net.aka,
      name_long: net.name_long,
      network_type: net.info_type,
      scope: net.info_scope,
      irr_as_set: net.irr_as_set,
      peering_policy: net.policy_general
    })
    return [
      ...Option.toArray(
        finding("ORGANIZATION", net.name, { confidence: 0.9, metadata: { ...details, role: "AS operator" } })
      ),
      ...(net.website === undefined || net.website === ""
        ? []
        : Option.toArray(
          finding("URL", net.website, { confidence: 0.8, metadata: { asn: details["asn"], role: "website" } })
        ))
    ]
  })

export const peeringdb = pagedApi({
  name: "peeringdb",
  title: "PeeringDB",
  description: "Finds the operator of an AS, its website and peering details via PeeringDB",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["ASN"],
  output_types: ["ORGANIZATION", "URL"],
  source: {
    id: "peeringdb",
    name: "PeeringDB",
    baseUrl: "https://www.peeringdb.com",
    // Anonymous: 20 requests a minute (40 with a key).
    rateLimit: { requests: 20, perSeconds: 60, burst: 3 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.header("authorization", "Api-Key "),
  format: Formats.json,
  request: (target) => ({ path: "/api/net", query: { asn: target.value.replace(/^AS/, "") } }),
  rows: (body) => {
    const data = Rows.at(body, "data")
    return Array.isArray(data) ? data : undefined
  },
  row: PeeringdbNet,
  findings: networkFindings
})
