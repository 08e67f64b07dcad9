/**
 * certificatedetails: names under a domain from the certificates Digitorus' certificatedetails.com
 * lists for it (`GET {base}/{domain}`), scraped from its links to each certificate:
 * `<a href="/{sha256}/{name}" title="Show the certificate for {name}">{name}</a>`, where the path's
 * name, the title's and the text may differ. Its "not found" page (404) still lists certificates,
 * so it is read like any other; a bot challenge (a 403 from its CDN) is reported as such. A link's
 * SHA-256 fingerprint is a CERTIFICATE too, with the names it gives.
 */
import { Effect, Option, Schema } from "effect"
import * as Html from "../Html.js"
import type { HttpResponse } from "../HttpClient.js"
import { certificateFindings, maxCertificatesField } from "../internal/Certificates.js"
import { pagedModule } from "../kinds/PagedApi.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { canonicalName, subdomainFindings } from "../kinds/SubdomainSource.js"
import { BadResponse } from "../Module.js"

export const CertificatedetailsConfig = Schema.Struct({ max_certificates: maxCertificatesField })

export interface ListedCertificate {
  readonly sha256: string
  /** The names the link gives, as written (the path's, the title's, the text). */
  readonly names: ReadonlyArray<string>
}

/** A link to one certificate: `/{fingerprint}/{name}`. */
const certificatePath = /^\/([0-9a-f]{40,64})\/([^/?#]+)$/i

const isCertificateLink = (link: Html.Element) => certificatePath.test(Html.attribute(link, "href") ?? "")

/** The link's certificate and the names it gives; undefined when none of them is a host name. */
export const readLink = (raw: unknown): ListedCertificate | undefined => {
  if (!Html.isElement(raw)) return undefined
  const [, sha256, pathName] = certificatePath.exec(Html.attribute(raw, "href") ?? "") ?? []
  if (sha256 === undefined || pathName === undefined) return undefined
  const titled = /certificate for\s+(\S+)/i.exec(Html.attribute(raw, "title") ?? "")?.[1]
  // A wildcard's name is sometimes written with its leading dot only (`.example.com`).
  const names = [pathName, titled, Html.text(raw)]
    .filter((name): name is string => name !== undefined && name !== "")
    .map((name) => name.replace(/^\.+/, ""))
  return names.some((name) => Option.isSome(canonicalName(name))) ? { sha256: sha256.toLowerCase(), names } : undefined
}

/** A CDN's JavaScript challenge instead of the page: no client without a browser gets past it. */
const challenge = (response: HttpResponse): Effect.Effect<Option.Option<BadResponse>> =>
  Effect.succeed(
    response.status === 403 &&
      (response.headers["cf-mitigated"] === "challenge" || /Just a moment/i.test(response.body))
      ? Option.some(
        new BadResponse({ reason: "certificatedetails answered a bot challenge instead of its page", status: 403 })
      )
      : Option.none()
  )

export const certificatedetails = pagedModule({
  name: "certificatedetails",
  title: "certificatedetails.com",
  description: "Finds subdomains and certificates of a domain in Digitorus' certificatedetails.com listing " +
    "(service closed or blocked as of 2026; see SOURCES.md)",
  version: "1.1.0",
  flags: ["passive", "safe"],
  config: CertificatedetailsConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "CERTIFICATE"],
  source: {
    id: "certificatedetails",
    name: "Digitorus certificatedetails.com",
    baseUrl: "https://certificatedetails.com",
    // No published limit; scrapers keep to one page a second.
    rateLimit: { requests: 1, perSeconds: 1, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.html,
  request: (target) => ({ path: `/${target.value}` }),
  answers: [404],
  failure: challenge,
  rows: (document) => Html.select(document, "a[href]").filter(isCertificateLink),
  decodeRow: Rows.from(readLink, "a certificate link that names no host"),
  findings: (certificates: ReadonlyArray<ListedCertificate>, target, config) => [
    ...subdomainFindings(certificates, target.value, (row) => row.names, (row) => ({ sha256: row.sha256 }), {
      // Names on certificates a CA issued.
      confidence: 0.8
    }),
    ...certificateFindings(
      certificates.map((row) => ({ sha256: row.sha256, names: row.names })),
      { scope: target.value, max: config.max_certificates, confidence: 0.8 }
    )
  ]
})
