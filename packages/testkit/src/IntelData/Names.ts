/** The names the passive sources know: certificates issued, archived and crawled URLs, host searches. */
import type * as CertspotterServer from "../CertspotterServer.js"
import type * as HackertargetServer from "../HackertargetServer.js"
import type * as PassiveSources from "../PassiveSources.js"
import type * as WaybackServer from "../WaybackServer.js"

const validity = { not_before: "2025-03-01T07:16:31Z", not_after: "2025-08-29T07:16:30Z" }

export const issuances: ReadonlyArray<CertspotterServer.Issuance> = [
  { id: "9211000001", dns_names: ["mirage-sandbox.test", "www.mirage-sandbox.test"], ...validity, cert_sha256: "a1" },
  { id: "9211000002", dns_names: ["*.mirage-sandbox.test", "mirage-sandbox.test"], ...validity, cert_sha256: "a2" },
  { id: "9211000003", dns_names: ["api.mirage-sandbox.test"], ...validity, cert_sha256: "a3" },
  {
    id: "9211000004",
    dns_names: ["staging.mirage-sandbox.test", "*.staging.mirage-sandbox.test"],
    ...validity,
    cert_sha256: "a4"
  },
  { id: "9211000005", dns_names: ["mail.mirage-sandbox.test"], ...validity, cert_sha256: "a5" },
  {
    // A certificate that also names a look-alike domain: only the sandbox's name may be reported.
    id: "9211000006",
    dns_names: ["vpn.mirage-sandbox.test", "mirage-sandbox.test.attacker.example"],
    ...validity,
    cert_sha256: "a6"
  },
  { id: "9211000007", dns_names: ["shop.other-company.test"], ...validity, cert_sha256: "a7" }
]

export const captures: ReadonlyArray<WaybackServer.Capture> = [
  { original: "http://mirage-sandbox.test/", timestamp: "20190412083011", statuscode: "200", mimetype: "text/html" },
  {
    original: "https://www.mirage-sandbox.test/login?next=%2Fdashboard",
    timestamp: "20230105101500",
    statuscode: "200",
    mimetype: "text/html"
  },
  {
    // A later capture of the same URL: `collapse=urlkey` keeps one.
    original: "https://www.mirage-sandbox.test/login?next=%2Fdashboard",
    timestamp: "20240105101500",
    statuscode: "200",
    mimetype: "text/html"
  },
  {
    original: "https://shop.mirage-sandbox.test/cart",
    timestamp: "20240611120000",
    statuscode: "200",
    mimetype: "text/html"
  },
  {
    original: "http://legacy.mirage-sandbox.test/old.php?id=1",
    timestamp: "20150301000000",
    statuscode: "200",
    mimetype: "text/html"
  },
  {
    original: "https://dev.mirage-sandbox.test:8443/debug",
    timestamp: "20220817093000",
    statuscode: "500",
    mimetype: "text/html"
  },
  { original: "https://other-company.test/", timestamp: "20240101000000", statuscode: "200", mimetype: "text/html" }
]

export const hostRecords: ReadonlyArray<HackertargetServer.HostRecord> = [
  { host: "mirage-sandbox.test", ip: "192.0.2.10" },
  { host: "www.mirage-sandbox.test", ip: "192.0.2.11" },
  { host: "api.mirage-sandbox.test", ip: "192.0.2.12" },
  { host: "mail.mirage-sandbox.test", ip: "198.51.100.25" },
  { host: "vpn.mirage-sandbox.test", ip: "203.0.113.5" }
]

/** What the keyless passive sources saw: the host search's names, the shop, and a look-alike the loose ones match. */
export const sightings: ReadonlyArray<PassiveSources.Sighting> = [
  ...hostRecords,
  { host: "shop.mirage-sandbox.test", ip: "192.0.2.14" },
  { host: "mirage-sandbox.test.attacker.example", ip: "198.18.0.7" }
]

/** URLs Common Crawl and OTX's URL list hold: the sandbox's pages, and another company's. */
export const crawledUrls: ReadonlyArray<string> = [
  "https://www.mirage-sandbox.test/",
  "https://www.mirage-sandbox.test/login?next=%2Fdashboard",
  "https://shop.mirage-sandbox.test/cart",
  "http://legacy.mirage-sandbox.test/old.php?id=1",
  "https://other-company.test/"
]
