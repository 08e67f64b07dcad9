/**
 * ip_api: where an address is and who routes it, from ip-api.com (`GET {base}/json/{ip}?fields=…`):
 * its AS (`"as": "AS15169 Google LLC"`) and the organization and ISP behind it, each carrying the
 * address's location and whether it is hosting, a proxy or mobile. `{"status": "fail", "message":
 * "private range"}` (or reserved) is nothing known; any other failure is the source's refusal. The
 * free endpoint is plain HTTP and 45 requests a minute, its wait in `X-Ttl`; a key (`?key=`) goes with
 * the `https://pro.ip-api.com` base.
 */
import { Option, Predicate, Schema } from "effect"
import { ownRateLimit } from "../internal/OwnRateLimit.js"
import { refusedWith } from "../internal/Refusal.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

/** The fields asked for (`fields=`): ip-api sends only these. */
export const IpApiAnswer = Schema.Struct({
  status: Schema.Literal("success"),
  country: optional(Schema.String),
  countryCode: optional(Schema.String),
  regionName: optional(Schema.String),
  city: optional(Schema.String),
  lat: optional(Schema.Number),
  lon: optional(Schema.Number),
  timezone: optional(Schema.String),
  isp: optional(Schema.String),
  org: optional(Schema.String),
  as: optional(Schema.String),
  asname: optional(Schema.String),
  hosting: optional(Schema.Boolean),
  proxy: optional(Schema.Boolean),
  mobile: optional(Schema.Boolean)
})
export type IpApiAnswer = typeof IpApiAnswer.Type

export const fields =
  "status,message,country,countryCode,regionName,city,lat,lon,timezone,isp,org,as,asname,hosting,proxy,mobile,query"

/** Failures that mean the address is not on the public Internet: nothing to say, not an error. */
const unlocatable = /private range|reserved range/i

const failureMessage = (body: unknown): string | undefined =>
  Predicate.isRecord(body) && body["status"] === "fail" ? String(body["message"] ?? "failed") : undefined

/** The fields that are present. */
const present = (fields: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))

/** "AS15169 Google LLC" → "AS15169". */
const asNumber = (as: string): string | undefined => /^AS\d+/i.exec(as.trim())?.[0]

export const ipApiFindings = (answer: IpApiAnswer, ip: string): ReadonlyArray<Finding> => {
  const location = present({
    country: answer.country,
    country_code: answer.countryCode,
    region: answer.regionName,
    city: answer.city,
    latitude: answer.lat,
    longitude: answer.lon,
    timezone: answer.timezone
  })
  const context = present({ ip, location, hosting: answer.hosting, proxy: answer.proxy, mobile: answer.mobile })
  const asn = answer.as === undefined ? undefined : asNumber(answer.as)
  const organizations = new Map<string, Array<string>>()
  for (const [role, name] of [["network operator", answer.org], ["isp", answer.isp]] as const) {
    if (name !== undefined && name.trim() !== "") organizations.set(name, [...(organizations.get(name) ?? []), role])
  }
  return [
    ...Option.toArray(
      asn === undefined ? Option.none() : finding("ASN", asn, {
        confidence: 0.85,
        metadata: present({ ...context, name: answer.asname ?? answer.as })
      })
    ),
    ...Array.from(
      organizations,
      ([name, roles]) =>
        Option.toArray(
          finding("ORGANIZATION", name, { confidence: 0.75, metadata: present({ ...context, roles, asn }) })
        )
    )
      .flat()
  ]
}

export const ipApi = pagedApi({
  name: "ip_api",
  title: "ip-api.com geolocation",
  description: "Finds the AS, operator and ISP of an address, with its location, via ip-api.com",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["ASN", "ORGANIZATION"],
  source: {
    id: "ip_api",
    name: "ip-api.com",
    baseUrl: "http://ip-api.com",
    // The free endpoint allows 45 requests a minute per client address, then bans it for a while.
    rateLimit: { requests: 40, perSeconds: 60, burst: 4 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.query("key"),
  format: Formats.json,
  request: (target) => ({ path: `/json/${target.value}`, query: { fields } }),
  failure: ownRateLimit("ip-api", "x-ttl"),
  refusal: (body) => {
    const message = failureMessage(body)
    return message === undefined || unlocatable.test(message)
      ? Option.none()
      : Option.some(refusedWith("ip-api", message))
  },
  // A private or reserved address is no row; anything else is the one row, read by the schema.
  rows: (body) => (failureMessage(body) === undefined ? [body] : []),
  row: IpApiAnswer,
  findings: ([answer], target) => (answer === undefined ? [] : ipApiFindings(answer, target.value))
})
