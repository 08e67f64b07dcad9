/**
 * The sandbox's phone-number sources: apilayer's numverify (what a number is and who carries it) and
 * WhoisXML API's Reverse WHOIS searched by a number (the domains registered with it), over the
 * sandbox company's published number.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

type Server = Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope>

/** A number as numverify knows it (digits with the country code, no `+`) and the domains registered with it. */
export interface KnownNumber {
  readonly number: string
  readonly countryPrefix: string
  readonly countryCode: string
  readonly countryName: string
  readonly location: string
  readonly carrier: string
  readonly lineType: string
  readonly domains: ReadonlyArray<string>
}

/** The sandbox company's switchboard, shown on its website. */
export const sandboxPhone: KnownNumber = {
  number: "12025550143",
  countryPrefix: "+1",
  countryCode: "US",
  countryName: "United States of America",
  location: "Washington DC",
  carrier: "Sandbox Telecom Inc",
  lineType: "landline",
  domains: ["mirage-sandbox.test", "mirage-sandbox-labs.test"]
}

export const phoneNumbers: ReadonlyArray<KnownNumber> = [sandboxPhone]

const refused = (code: number, type: string, info: string) =>
  HttpFixture.json({ success: false, error: { code, type, info } })

/**
 * numverify: `GET /api/validate?access_key=&number=`: the number's report, `valid: false` with empty fields for one it
 * does not know; errors are HTTP 200 `{success: false, error: {code, type, info}}` (101 a bad key, 210 no number).
 */
export const numverify = (numbers: ReadonlyArray<KnownNumber>, options: { readonly key: string }): Server =>
  HttpFixture.make("http://apilayer.net", (request) => {
    if (request.url.pathname !== "/api/validate") return HttpFixture.notFound()
    if (request.url.searchParams.get("access_key") !== options.key) {
      return refused(101, "invalid_access_key", "You have not supplied a valid API Access Key.")
    }
    const asked = (request.url.searchParams.get("number") ?? "").replace(/\D/g, "")
    if (asked === "") return refused(210, "no_phone_number_provided", "Please specify a phone number.")
    const known = numbers.find((candidate) => candidate.number === asked)
    if (known === undefined) {
      return HttpFixture.json({
        valid: false,
        number: asked,
        local_format: "",
        international_format: "",
        country_prefix: "",
        country_code: "",
        country_name: "",
        location: "",
        carrier: "",
        line_type: null
      })
    }
    return HttpFixture.json({
      valid: true,
      number: known.number,
      local_format: known.number.slice(known.countryPrefix.length - 1),
      international_format: `+${known.number}`,
      country_prefix: known.countryPrefix,
      country_code: known.countryCode,
      country_name: known.countryName,
      location: known.location,
      carrier: known.carrier,
      line_type: known.lineType
    })
  })

const readJson = (body: string): unknown => {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

/**
 * Reverse WHOIS v2: `POST /api/v2` with a JSON body (`apiKey`, `basicSearchTerms.include`, `searchAfter` for the next
 * page): `{nextPageSearchAfter, domainsCount, domainsList}`, `pageSize` domains a page; 403 for a bad key, 422 for a
 * body that is not a search.
 */
export const reverseWhois = (
  numbers: ReadonlyArray<KnownNumber>,
  options: { readonly key: string; readonly pageSize?: number }
): Server =>
  HttpFixture.make("https://reverse-whois.whoisxmlapi.com", (request) => {
    if (request.method !== "POST" || request.url.pathname !== "/api/v2") return HttpFixture.notFound()
    const search = readJson(request.body) as {
      apiKey?: unknown
      basicSearchTerms?: { include?: unknown }
      searchAfter?: unknown
    } | undefined
    if (search?.apiKey !== options.key) {
      return HttpFixture.json(
        { code: 403, messages: "Access restricted. Check the credits balance or the API key." },
        403
      )
    }
    const include = search.basicSearchTerms?.include
    if (!Array.isArray(include) || include.length === 0) {
      return HttpFixture.json({ code: 422, messages: "basicSearchTerms.include is required" }, 422)
    }
    const terms = include.map((term) => String(term).replace(/\D/g, ""))
    const domains = numbers.filter((known) => terms.includes(known.number)).flatMap((known) => known.domains)
    const size = options.pageSize ?? 10_000
    const start = typeof search.searchAfter === "string" ? Number(search.searchAfter) : 0
    const page = domains.slice(start, start + size)
    const next = start + size < domains.length ? String(start + size) : null
    return HttpFixture.json({ nextPageSearchAfter: next, domainsCount: domains.length, domainsList: page })
  })
