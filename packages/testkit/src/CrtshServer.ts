/**
 * An HTTP server that answers like crt.sh's JSON search (`/?q=%.example.com&output=json`) from
 * a table of certificates, and can be told to fail like crt.sh under load (502, 503, 429).
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

/** A logged certificate: `names` are its identities (SAN DNS names, `*.` wildcards, emails). */
export interface Certificate {
  readonly id: number
  readonly issuer_ca_id: number
  readonly issuer_name: string
  readonly common_name: string
  readonly names: ReadonlyArray<string>
  readonly entry_timestamp: string
  readonly not_before: string
  readonly not_after: string
  readonly serial_number: string
}

export type { Failure } from "./HttpFixture.js"

export type CrtshServer = HttpFixture.HttpFixture

export interface CrtshOptions {
  /** The "now" of `exclude=expired`, fixed so fixtures do not age. */
  readonly now?: Date
}

/** crt.sh's `q` is an SQL LIKE pattern over identities: `%` matches anything, case-insensitively. */
const matcher = (q: string) => {
  const escaped = q.toLowerCase().split("%").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
  const pattern = new RegExp(`^${escaped.join(".*")}$`)
  return (identity: string) => pattern.test(identity.toLowerCase())
}

const row = (certificate: Certificate) => ({
  issuer_ca_id: certificate.issuer_ca_id,
  issuer_name: certificate.issuer_name,
  common_name: certificate.common_name,
  name_value: certificate.names.join("\n"),
  id: certificate.id,
  entry_timestamp: certificate.entry_timestamp,
  not_before: certificate.not_before,
  not_after: certificate.not_after,
  serial_number: certificate.serial_number
})

/** The rows crt.sh would return for the query. */
export const search = (
  certificates: ReadonlyArray<Certificate>,
  q: string,
  options: { readonly excludeExpired: boolean; readonly now: Date }
) => {
  const matches = matcher(q.trim())
  return certificates
    .filter((certificate) => [certificate.common_name, ...certificate.names].some(matches))
    .filter((certificate) => !options.excludeExpired || Date.parse(certificate.not_after) > options.now.getTime())
    .map(row)
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  certificates: ReadonlyArray<Certificate>,
  options: CrtshOptions = {}
): Effect.Effect<CrtshServer, never, Scope.Scope> => {
  const now = options.now ?? new Date("2025-06-01T00:00:00Z")
  return HttpFixture.make("https://crt.sh", (request) => {
    const url = request.url
    if (url.pathname !== "/" || request.method !== "GET") return HttpFixture.notFound()
    if (url.searchParams.get("output") !== "json") {
      return HttpFixture.text(
        "<!DOCTYPE html><html><title>crt.sh | Certificate Search</title></html>",
        200,
        "text/html; charset=utf-8"
      )
    }
    const q = url.searchParams.get("q")
    const rows = q === null ? [] : search(certificates, q, {
      excludeExpired: url.searchParams.get("exclude") === "expired",
      now
    })
    return HttpFixture.json(rows)
  })
}
