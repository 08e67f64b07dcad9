/**
 * otx_reputation: the threat reports (OTX "pulses") that list an address or domain, from AlienVault
 * OTX's indicator summary (`GET {base}/api/v1/indicators/{IPv4|IPv6|domain}/{value}/general`, optional
 * `X-OTX-API-KEY`): `pulse_info.pulses[]` each with its name, tags, malware families, adversary and
 * ATT&CK ids — a URL finding of the pulse's page (`https://otx.alienvault.com/pulse/{id}`) — and, for
 * an address, its AS (`"asn": "AS15169 google llc"`) and location. `pulse_info.count` may exceed the
 * pulses listed (OTX lists the most recent). 400 is an indicator OTX does not take; 404 nothing.
 */
import { Option, Schema } from "effect"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })
const named = Schema.Struct({ display_name: optional(Schema.String), name: optional(Schema.String) })

export const OtxPulse = Schema.Struct({
  id: Schema.String.pipe(Schema.pattern(/^[0-9a-f]{24}$/)),
  name: Schema.String,
  created: optional(Schema.String),
  modified: optional(Schema.String),
  tags: optional(Schema.Array(Schema.String)),
  adversary: optional(Schema.String),
  malware_families: optional(Schema.Array(Schema.Union(Schema.String, named))),
  attack_ids: optional(Schema.Array(Schema.Union(Schema.String, Schema.Struct({ id: Schema.String })))),
  references: optional(Schema.Array(Schema.String)),
  TLP: optional(Schema.String)
})
export type OtxPulse = typeof OtxPulse.Type

/** The indicator's own facts, a row of its own beside the pulses. */
export const OtxIndicator = Schema.Struct({
  indicator: Schema.String,
  reputation: optional(Schema.Number),
  pulse_count: optional(Schema.Number),
  asn: optional(Schema.String),
  country_code: optional(Schema.String),
  country_name: optional(Schema.String),
  city: optional(Schema.String)
})

const OtxRow = Schema.Union(OtxPulse, OtxIndicator)
type OtxRow = typeof OtxRow.Type

const present = (fields: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(
    Object.entries(fields).filter(([, value]) =>
      value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0)
    )
  )

const familyName = (family: string | typeof named.Type) =>
  typeof family === "string" ? family : family.display_name ?? family.name

export const reputationFindings = (rows: ReadonlyArray<OtxRow>, indicator: string): ReadonlyArray<Finding> => {
  const facts = rows.find((row): row is typeof OtxIndicator.Type => "indicator" in row)
  const context = present({ indicator, pulse_count: facts?.pulse_count, otx_reputation: facts?.reputation })
  const pulses = rows.filter((row): row is OtxPulse => "id" in row)
  const asn = facts?.asn === undefined ? undefined : /^AS\d+/i.exec(facts.asn.trim())?.[0]
  return [
    ...pulses.flatMap((pulse) =>
      Option.toArray(finding("URL", `https://otx.alienvault.com/pulse/${pulse.id}`, {
        confidence: 0.7,
        metadata: present({
          ...context,
          role: "threat report listing the indicator",
          pulse: pulse.name,
          tags: pulse.tags ?? undefined,
          adversary: pulse.adversary,
          malware_families: pulse.malware_families?.flatMap((family) => familyName(family) ?? []),
          attack_ids: pulse.attack_ids?.map((attack) => (typeof attack === "string" ? attack : attack.id)),
          references: pulse.references?.slice(0, 10),
          created: pulse.created,
          modified: pulse.modified,
          tlp: pulse.TLP
        })
      }))
    ),
    ...(asn === undefined ? [] : Option.toArray(finding("ASN", asn, {
      confidence: 0.7,
      metadata: present({
        ...context,
        name: facts?.asn?.slice(asn.length).trim(),
        country: facts?.country_name,
        country_code: facts?.country_code,
        city: facts?.city
      })
    })))
  ]
}

const section = (type: string, value: string) => type === "IP" ? (value.includes(":") ? "IPv6" : "IPv4") : "domain"

export const otxReputation = pagedApi({
  name: "otx_reputation",
  title: "AlienVault OTX reputation",
  description: "Finds the OTX threat reports (pulses) that list an address or domain, and an address's AS",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP", "DOMAIN"],
  output_types: ["URL", "ASN"],
  source: {
    id: "otx",
    name: "AlienVault OTX DirectConnect API",
    baseUrl: "https://otx.alienvault.com",
    // OTX allows 10,000 requests an hour with a key; keyless clients are throttled sooner.
    rateLimit: { requests: 1, perSeconds: 1, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.header("X-OTX-API-KEY"),
  format: Formats.json,
  request: (target) => ({
    path: `/api/v1/indicators/${section(target.type, target.value)}/${target.value}/general`
  }),
  empty: [400, 404],
  rows: (body) => {
    const pulses = Rows.at(body, "pulse_info.pulses")
    if (!Array.isArray(pulses)) return undefined
    const indicator = Rows.at(body, "indicator")
    // Only the fields OTX sent: an absent one is left out, not an undefined the row schema refuses.
    const facts = typeof indicator === "string"
      ? [Object.fromEntries(
        Object.entries({
          indicator,
          reputation: Rows.at(body, "reputation"),
          pulse_count: Rows.at(body, "pulse_info.count"),
          asn: Rows.at(body, "asn"),
          country_code: Rows.at(body, "country_code"),
          country_name: Rows.at(body, "country_name"),
          city: Rows.at(body, "city")
        }).filter(([, value]) => value !== undefined)
      )]
      : []
    return [...facts, ...pulses]
  },
  row: OtxRow,
  findings: (rows, target) => reputationFindings(rows, target.value)
})
