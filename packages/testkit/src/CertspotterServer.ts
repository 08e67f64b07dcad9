/**
 * An HTTP server that answers like SSLMate's Cert Spotter API (`/v1/issuances?domain=…
 * &include_subdomains=true&expand=dns_names&after=…`), with its optional bearer key and its
 * error answers (`{"code":"unauthorized"}` 401, `{"code":"rate_limited"}` 429 with Retry-After).
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

/** One issuance: a certificate (or precertificate) seen in CT logs. Ids grow with time, as strings. */
export interface Issuance {
  readonly id: string
  readonly dns_names: ReadonlyArray<string>
  readonly not_before: string
  readonly not_after: string
  readonly cert_sha256: string
}

export interface CertspotterOptions {
  /** The key the server accepts as `Authorization: Bearer …`; requests without one are allowed. */
  readonly key: string
  /** Issuances per page (the real API decides this; keyless pages are small). */
  readonly pageSize?: number
}

const error = (status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}) =>
  HttpFixture.json({ code, message }, status, headers)

const covers = (name: string, domain: string, subdomains: boolean) => {
  const bare = name.toLowerCase().replace(/^\*\./, "")
  return bare === domain || (subdomains && bare.endsWith(`.${domain}`))
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  issuances: ReadonlyArray<Issuance>,
  options: CertspotterOptions
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> => {
  const pageSize = options.pageSize ?? 100
  const sorted = [...issuances].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
  return HttpFixture.make("https://api.certspotter.com", (request) => {
    const url = request.url
    if (url.pathname !== "/v1/issuances") return error(404, "not_found", "Not found")
    const authorization = request.headers.authorization
    if (authorization !== undefined && authorization !== `Bearer ${options.key}`) {
      return error(401, "unauthorized", "The API key you provided is invalid.")
    }
    const domain = url.searchParams.get("domain")?.toLowerCase()
    if (domain === undefined || domain === "") return error(400, "bad_request", "Missing domain parameter")
    const subdomains = url.searchParams.get("include_subdomains") === "true"
    const expand = url.searchParams.getAll("expand")
    const after = url.searchParams.get("after")
    if (after !== null && !/^\d+$/.test(after)) return error(400, "bad_request", "Invalid after parameter")
    const page = sorted
      .filter((issuance) => after === null || BigInt(issuance.id) > BigInt(after))
      .filter((issuance) => issuance.dns_names.some((name) => covers(name, domain, subdomains)))
      .slice(0, pageSize)
      .map((issuance) => ({
        id: issuance.id,
        tbs_sha256: issuance.cert_sha256.split("").reverse().join(""),
        cert_sha256: issuance.cert_sha256,
        ...(expand.includes("dns_names") ? { dns_names: issuance.dns_names } : {}),
        pubkey_sha256: "5b1c4d8e0f3a2b7c9d6e1f0a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e",
        not_before: issuance.not_before,
        not_after: issuance.not_after,
        revoked: false
      }))
    return HttpFixture.json(page)
  })
}

/** The body the real API sends with its 429 (with `Retry-After`), for `failNext`. */
export const rateLimitedBody = JSON.stringify({
  code: "rate_limited",
  message: "You have exceeded the domain search rate limit for the SSLMate CT Search API."
})
