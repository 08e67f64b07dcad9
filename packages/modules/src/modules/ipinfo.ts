/**
 * ipinfo: an address's AS, holder, reverse name and location from IPinfo (`GET {base}/{ip}/json`):
 * `"org": "AS15169 Google LLC"` is the AS and its holder; paid plans add `asn.route` (the announced
 * prefix) and `company`. `{"bogon": true}` is a private or reserved address: nothing known. Keyless
 * clients get about a thousand answers a day; a token (`Authorization: Bearer`) raises that.
 */
import { Option, Predicate, Schema } from "effect"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

const Named = Schema.Struct({ name: optional(Schema.String), domain: optional(Schema.String) })

export const IpinfoAnswer = Schema.Struct({
  ip: Schema.String,
  hostname: optional(Schema.String),
  city: optional(Schema.String),
  region: optional(Schema.String),
  country: optional(Schema.String),
  /** "latitude,longitude". */
  loc: optional(Schema.String),
  timezone: optional(Schema.String),
  org: optional(Schema.String),
  anycast: optional(Schema.Boolean),
  asn: optional(Schema.Struct({ asn: Schema.String, name: optional(Schema.String), route: optional(Schema.String) })),
  company: optional(Named)
})
export type IpinfoAnswer = typeof IpinfoAnswer.Type

/** "AS15169 Google LLC" → the AS number and its holder's name. */
export const splitOrg = (org: string): { readonly asn?: string; readonly name: string } => {
  const match = /^(AS\d+)\s+(.*)$/i.exec(org.trim())
  return match ? { asn: match[1]!, name: match[2]!.trim() } : { name: org.trim() }
}

const present = (fields: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))

export const ipinfoFindings = (answer: IpinfoAnswer, ip: string): ReadonlyArray<Finding> => {
  const [latitude, longitude] = (answer.loc ?? "").split(",").map(Number)
  const location = present({
    city: answer.city,
    region: answer.region,
    country_code: answer.country,
    latitude: Number.isFinite(latitude) && answer.loc !== undefined ? latitude : undefined,
    longitude: Number.isFinite(longitude) && answer.loc !== undefined ? longitude : undefined,
    timezone: answer.timezone
  })
  const context = present({ ip, location, anycast: answer.anycast })
  const org = answer.org === undefined ? undefined : splitOrg(answer.org)
  const asn = answer.asn?.asn ?? org?.asn
  const holder = answer.company?.name ?? answer.asn?.name ?? org?.name
  const found = [
    asn === undefined ? Option.none() : finding("ASN", asn, {
      confidence: 0.85,
      metadata: present({ ...context, name: answer.asn?.name ?? org?.name })
    }),
    holder === undefined || holder === "" ? Option.none() : finding("ORGANIZATION", holder, {
      confidence: 0.75,
      metadata: present({ ...context, asn, domain: answer.company?.domain })
    }),
    answer.asn?.route === undefined ? Option.none() : finding("NETBLOCK", answer.asn.route, {
      confidence: 0.85,
      metadata: { ip, asn }
    }),
    answer.hostname === undefined ? Option.none() : finding("DOMAIN", answer.hostname, {
      confidence: 0.7,
      metadata: { ip, record: "PTR" }
    })
  ]
  return found.flatMap(Option.toArray)
}

export const ipinfo = pagedApi({
  name: "ipinfo",
  title: "IPinfo",
  description: "Finds the AS, holder, reverse name and location of an address via IPinfo",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["ASN", "ORGANIZATION", "NETBLOCK", "DOMAIN"],
  source: {
    id: "ipinfo",
    name: "IPinfo",
    baseUrl: "https://ipinfo.io",
    // Keyless: about 1,000 a day; a free token 50,000 a month. Spread them out.
    rateLimit: { requests: 1, perSeconds: 1, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.bearer,
  format: Formats.json,
  request: (target) => ({ path: `/${target.value}/json` }),
  // A bogon is no row; any other object is the one row, read by the schema.
  rows: (body) => (Predicate.isRecord(body) && body["bogon"] === true ? [] : [body]),
  row: IpinfoAnswer,
  findings: ([answer], target) => (answer === undefined ? [] : ipinfoFindings(answer, target.value))
})
