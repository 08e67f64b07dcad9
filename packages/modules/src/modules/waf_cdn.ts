/**
 * waf_cdn: the CDN or web application firewall in front of a site, read from what it adds to an
 * ordinary answer: its headers (`CF-Ray`, `X-Amz-Cf-Id`, `X-Served-By: cache-…`), its `Server`
 * name and its cookies (`__cf_bm`, `incap_ses_…`, `ak_bmsc`). One plain GET of the home page (or
 * the URL) through the HTTP client, so the scope guard and the `web` rate limit apply; nothing is
 * sent to provoke a block page. Each product seen is a TECHNOLOGY with its evidence.
 */
import { Effect, Option, Schema } from "effect"
import { baseUrlField, fetchTargetPage, webSource } from "../internal/Web.js"
import { headerFields } from "../kinds/PagedApi.js"
import { countedSession, defineModule, expectOk, type Finding, finding, type HttpResponse } from "../Module.js"

export const WafCdnConfig = Schema.Struct({
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 5, exact: true }),
  base_url: baseUrlField
})
export type WafCdnConfig = typeof WafCdnConfig.Type

type Role = "cdn" | "waf"

export interface Signature {
  readonly name: string
  readonly roles: ReadonlyArray<Role>
  /** Header (lower case) and what its value must match; `/./` for its presence. */
  readonly headers?: ReadonlyArray<readonly [string, RegExp]>
  /** Cookie names set by the product. */
  readonly cookies?: ReadonlyArray<RegExp>
}

const present = /./

/** What each product is known to add to its answers (vendor documentation and long-standing WAF detectors). */
export const signatures: ReadonlyArray<Signature> = [
  {
    name: "Cloudflare",
    roles: ["cdn", "waf"],
    headers: [["cf-ray", present], ["server", /^cloudflare/i], ["cf-cache-status", present], ["cf-mitigated", present]],
    cookies: [/^__cf_bm$/, /^cf_clearance$/, /^__cfduid$/, /^__cflb$/, /^__cfruid$/]
  },
  {
    name: "Akamai",
    roles: ["cdn", "waf"],
    headers: [
      ["server", /^Akamai(GHost|NetStorage)/i],
      ["akamai-grn", present],
      ["x-akamai-transformed", present],
      ["x-akamai-request-id", present],
      ["akamai-cache-status", present]
    ],
    cookies: [/^ak_bmsc$/, /^bm_sv$/, /^bm_sz$/, /^_abck$/]
  },
  {
    name: "Fastly",
    roles: ["cdn"],
    headers: [
      ["x-served-by", /(^|,\s*)cache-[a-z0-9-]+/i],
      ["fastly-debug-digest", present],
      ["x-fastly-request-id", present],
      ["server", /^fastly/i]
    ]
  },
  {
    name: "Amazon CloudFront",
    roles: ["cdn"],
    headers: [
      ["x-amz-cf-id", present],
      ["x-amz-cf-pop", present],
      ["via", /\(CloudFront\)/i],
      ["x-cache", /from cloudfront/i],
      ["server", /^CloudFront$/i]
    ]
  },
  {
    name: "AWS WAF",
    roles: ["waf"],
    headers: [["x-amzn-waf-action", present]],
    cookies: [/^aws-waf-token$/]
  },
  {
    name: "Imperva Incapsula",
    roles: ["cdn", "waf"],
    headers: [["x-iinfo", present], ["x-cdn", /incapsula|imperva/i]],
    cookies: [/^incap_ses_/, /^visid_incap_/, /^nlbi_/]
  },
  {
    name: "Sucuri",
    roles: ["waf"],
    headers: [["x-sucuri-id", present], ["x-sucuri-cache", present], ["server", /^Sucuri/i]],
    cookies: [/^sucuri_cloudproxy_/]
  },
  {
    name: "Azure Front Door",
    roles: ["cdn", "waf"],
    headers: [["x-azure-ref", present], ["x-fd-int-roxy-purgeid", present]]
  },
  {
    name: "Azure CDN",
    roles: ["cdn"],
    headers: [["x-msedge-ref", present], ["server", /^ECAcc|^ECS /i]]
  },
  {
    name: "Google Cloud CDN",
    roles: ["cdn"],
    headers: [["via", /(^|,\s*)1\.1 google$/i], ["server", /^Google Frontend$/i]]
  },
  {
    name: "F5 BIG-IP",
    roles: ["waf"],
    headers: [["server", /^BigIP/i], ["x-wa-info", present]],
    cookies: [/^BIGipServer/, /^TS01[0-9a-f]{6}$/, /^F5_ST$/]
  },
  {
    name: "Vercel",
    roles: ["cdn"],
    headers: [["x-vercel-id", present], ["server", /^Vercel$/i]]
  },
  {
    name: "Netlify",
    roles: ["cdn"],
    headers: [["x-nf-request-id", present], ["server", /^Netlify$/i]]
  },
  {
    name: "Bunny CDN",
    roles: ["cdn"],
    headers: [["server", /^BunnyCDN/i], ["cdn-pullzone", present]]
  },
  {
    name: "KeyCDN",
    roles: ["cdn"],
    headers: [["server", /^keycdn-engine/i]]
  },
  {
    name: "StackPath",
    roles: ["cdn", "waf"],
    headers: [["x-sp-url", present], ["x-sp-waf", present], ["server", /^StackPath/i]]
  },
  {
    name: "Varnish",
    roles: ["cdn"],
    headers: [["x-varnish", present], ["via", /varnish/i]]
  }
]

export interface Detection {
  readonly name: string
  readonly roles: ReadonlyArray<Role>
  readonly evidence: ReadonlyArray<string>
}

/** The names of the cookies a response sets (several `Set-Cookie` lines arrive joined by commas). */
export const cookieNames = (setCookie: string | undefined): ReadonlyArray<string> =>
  Array.from((setCookie ?? "").matchAll(/(?:^|,\s*)([^=;,\s]+)=/g), (match) => match[1]!)

/** Each product a response shows, with what showed it; Varnish only when no CDN built on it (Fastly) is seen. */
export const detect = (response: HttpResponse): ReadonlyArray<Detection> => {
  const cookies = cookieNames(response.headers["set-cookie"])
  const found = signatures.flatMap((signature) => {
    const evidence = [
      ...(signature.headers ?? []).flatMap(([header, pattern]) => {
        const value = response.headers[header]
        return value !== undefined && pattern.test(value.trim()) ? [`header ${header}`] : []
      }),
      ...cookies.filter((cookie) => (signature.cookies ?? []).some((pattern) => pattern.test(cookie))).map((cookie) =>
        `cookie ${cookie}`
      )
    ]
    return evidence.length === 0 ? [] : [{ name: signature.name, roles: signature.roles, evidence }]
  })
  return found.some((detection) => detection.name === "Fastly")
    ? found.filter((detection) => detection.name !== "Varnish")
    : found
}

const findingOf = (detection: Detection, url: string): Option.Option<Finding> =>
  finding("TECHNOLOGY", detection.name, {
    // A vendor's own header is hard to fake by accident; a lone cookie name less so.
    confidence: detection.evidence.some((item) => item.startsWith("header")) ? 0.9 : 0.7,
    source_data: { url, evidence: detection.evidence },
    metadata: { product: detection.name, category: detection.roles.map((role) => role.toUpperCase()), url }
  })

export const wafCdn = defineModule({
  ...headerFields({
    name: "waf_cdn",
    title: "WAF and CDN detection",
    description: "Tells the CDN or web application firewall in front of a site from its headers and cookies",
    flags: ["active", "safe"],
    config: WafCdnConfig,
    input_types: ["DOMAIN", "URL"],
    output_types: ["TECHNOLOGY"]
  }),
  source: webSource,
  setup: countedSession<WafCdnConfig>("waf_cdn", "fetches"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const { response, url } = yield* fetchTargetPage("waf_cdn", session, task)
      // A 5xx or 429 may be the edge itself refusing; its headers still count, but a bare one is worth retrying.
      const detections = detect(response)
      if (detections.length === 0 && (response.status === 429 || response.status >= 500)) yield* expectOk(response)
      yield* session.log("waf_cdn read", { url: url.href, status: response.status, found: detections.length })
      return detections.flatMap((detection) => Option.toArray(findingOf(detection, url.href)))
    })
})
