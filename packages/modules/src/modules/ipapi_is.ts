/**
 * ipapi_is: an address's AS, announced route, holder and what kind of network it is from ipapi.is
 * (`GET {base}/?q={ip}`, key in the `key` query parameter, optional: keyless clients get about a
 * thousand lookups a day). The answer's `asn` holds the AS number, `route` and `org`; `company`
 * the holder (`name`, `domain`, `type`, `network`); flags say whether it is a data centre, Tor exit,
 * proxy, VPN, known abuser or bogon (a bogon is nothing known). `{"error": "…"}` is a refusal.
 */
import { Option, Predicate, Schema } from "effect"
import { optional, present } from "../internal/Fields.js"
import { refusedWith } from "../internal/Refusal.js"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"

export const IpapiAnswer = Schema.Struct({
  ip: Schema.String,
  rir: optional(Schema.String),
  is_bogon: optional(Schema.Boolean),
  is_datacenter: optional(Schema.Boolean),
  is_tor: optional(Schema.Boolean),
  is_proxy: optional(Schema.Boolean),
  is_vpn: optional(Schema.Boolean),
  is_abuser: optional(Schema.Boolean),
  is_mobile: optional(Schema.Boolean),
  is_crawler: optional(Schema.Union(Schema.Boolean, Schema.String)),
  company: optional(Schema.Struct({
    name: optional(Schema.String),
    domain: optional(Schema.String),
    type: optional(Schema.String),
    network: optional(Schema.String)
  })),
  asn: optional(Schema.Struct({
    asn: Schema.Number,
    route: optional(Schema.String),
    org: optional(Schema.String),
    descr: optional(Schema.String),
    country: optional(Schema.String),
    type: optional(Schema.String)
  })),
  location: optional(Schema.Struct({
    country_code: optional(Schema.String),
    city: optional(Schema.String)
  }))
})
export type IpapiAnswer = typeof IpapiAnswer.Type

export const ipapiFindings = (answer: IpapiAnswer, ip: string): ReadonlyArray<Finding> => {
  if (answer.is_bogon === true) return []
  const network = present({
    datacenter: answer.is_datacenter,
    tor: answer.is_tor,
    proxy: answer.is_proxy,
    vpn: answer.is_vpn,
    abuser: answer.is_abuser,
    mobile: answer.is_mobile,
    company_type: answer.company?.type,
    country_code: answer.location?.country_code,
    city: answer.location?.city,
    rir: answer.rir
  })
  const asn = answer.asn === undefined ? undefined : `AS${answer.asn.asn}`
  const holder = answer.company?.name ?? answer.asn?.org
  return [
    asn === undefined ? Option.none() : finding("ASN", asn, {
      confidence: 0.85,
      metadata: present({ ip, name: answer.asn?.org, description: answer.asn?.descr, type: answer.asn?.type })
    }),
    answer.asn?.route === undefined ? Option.none() : finding("NETBLOCK", answer.asn.route, {
      confidence: 0.85,
      metadata: present({ ip, asn, role: "announced route" })
    }),
    answer.company?.network === undefined || answer.company.network === answer.asn?.route
      ? Option.none()
      : finding("NETBLOCK", answer.company.network, {
        confidence: 0.75,
        metadata: present({ ip, holder, role: "the holder's network" })
      }),
    holder === undefined || holder.trim() === "" ? Option.none() : finding("ORGANIZATION", holder, {
      confidence: 0.75,
      metadata: present({ ip, asn, domain: answer.company?.domain, network })
    }),
    // The address itself only when something about it stands out.
    answer.is_tor === true || answer.is_proxy === true || answer.is_vpn === true || answer.is_abuser === true
      ? finding("IP", ip, { confidence: 0.7, metadata: { ipapi: network } })
      : Option.none()
  ].flatMap(Option.toArray)
}

export const ipapiIs = pagedApi({
  name: "ipapi_is",
  title: "ipapi.is",
  description: "Finds an address's AS, route and holder, and whether it is a data centre, Tor, proxy or VPN",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["IP"],
  output_types: ["ASN", "NETBLOCK", "ORGANIZATION", "IP"],
  source: {
    id: "ipapi_is",
    name: "ipapi.is",
    baseUrl: "https://api.ipapi.is",
    // Keyless: 1,000 lookups a day; spread them out.
    rateLimit: { requests: 1, perSeconds: 1, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.query("key"),
  format: Formats.json,
  request: (target) => ({ path: "/", query: { q: target.value } }),
  refusal: (body) =>
    Predicate.isRecord(body) && typeof body["error"] === "string"
      ? Option.some(refusedWith("ipapi.is", body["error"]))
      : Option.none(),
  rows: (body) => [body],
  row: IpapiAnswer,
  findings: ([answer], target) => (answer === undefined ? [] : ipapiFindings(answer, target.value))
})
