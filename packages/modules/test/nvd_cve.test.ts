/** nvd_cve against a declared NVD: the CVE API's request, severity from the preferred CVSS, CISA fields, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { nvdCve } from "@mirage/modules/modules/nvd_cve"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"
import { found } from "./threatSupport.js"

const vuln = { type: "VULNERABILITY" as const, value: "CVE-2024-3400" }
const request = { path: "/rest/json/cves/2.0", query: { cveId: "CVE-2024-3400" }, headers: { apikey: null } }
const cvss = (version: string, score: number, severity: string, type = "Primary") => ({
  source: type === "Primary" ? "nvd@nist.gov" : "psirt@vendor.example",
  type,
  cvssData: { version, vectorString: `CVSS:${version}/AV:N/AC:L`, baseScore: score, baseSeverity: severity },
  exploitabilityScore: 3.9,
  impactScore: 6
})
/** CVSS v2 puts the severity beside cvssData, not in it. */
const cvss2 = () => {
  const { baseSeverity: _, ...data } = cvss("2.0", 7.5, "").cvssData
  return { ...cvss("2.0", 7.5, ""), cvssData: data, baseSeverity: "HIGH" }
}
const answer = (cve: Record<string, unknown>) => ({
  json: {
    resultsPerPage: 1,
    startIndex: 0,
    totalResults: 1,
    format: "NVD_CVE",
    version: "2.0",
    timestamp: "2026-12-05T10:00:00.000",
    vulnerabilities: [{
      cve: {
        id: "CVE-2024-3400",
        sourceIdentifier: "psirt@vendor.example",
        published: "2024-04-12T08:15:06.230",
        lastModified: "2025-01-10T12:00:00.000",
        vulnStatus: "Analyzed",
        cisaExploitAdd: "2024-04-12",
        cisaActionDue: "2024-04-19",
        cisaRequiredAction: "Apply mitigations per vendor instructions.",
        cisaVulnerabilityName: "Example PAN-OS Command Injection",
        descriptions: [{ lang: "es", value: "Inyección" }, {
          lang: "en",
          value: "A command injection in GlobalProtect."
        }],
        metrics: {
          cvssMetricV31: [cvss("3.1", 9.8, "CRITICAL", "Secondary"), cvss("3.1", 10, "CRITICAL")],
          cvssMetricV2: [cvss2()]
        },
        weaknesses: [{ source: "nvd@nist.gov", type: "Primary", description: [{ lang: "en", value: "CWE-77" }] }, {
          description: [{ lang: "en", value: "NVD-CWE-noinfo" }]
        }],
        references: [{
          url: "https://security.vendor.example/CVE-2024-3400",
          source: "psirt",
          tags: ["Vendor Advisory"]
        }],
        ...cve
      }
    }]
  }
})

describe("nvd_cve", () => {
  it.scoped("the CVE with its Primary CVSS 3.1 severity, CWE, dates and CISA's known-exploited fields; keyless", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(nvdCve, [{ request, response: answer({}) }], { target: vuln })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual(["VULNERABILITY CVE-2024-3400"])
      // The CVE asked, enriched: a scan keeps it although it has seen the CVE already.
      expect(Either.getOrThrow(run.outcome)[0]?.enrichment).toBe(true)
      expect(Either.getOrThrow(run.outcome)[0]?.metadata).toMatchObject({
        description: "A command injection in GlobalProtect.",
        cvss: 10,
        cvss_version: "3.1",
        severity: "CRITICAL",
        cwes: ["CWE-77"],
        status: "Analyzed",
        known_exploited: true,
        cisa: { added: "2024-04-12", due: "2024-04-19", name: "Example PAN-OS Command Injection" }
      })
    }))

  it.scoped("CVSS v2 only: its severity beside cvssData; not in KEV: known_exploited false; references when asked; apiKey header", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(nvdCve, [{
        request: { ...request, headers: { apikey: "nvd-key-1" } },
        response: answer({
          cisaExploitAdd: undefined,
          metrics: { cvssMetricV2: [cvss2()] }
        })
      }], { target: vuln, key: "nvd-key-1", config: { references: true } })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "VULNERABILITY CVE-2024-3400",
        "URL https://security.vendor.example/CVE-2024-3400"
      ])
      const metadata = Either.getOrThrow(run.outcome)[0]?.metadata
      expect(metadata).toMatchObject({ cvss: 7.5, severity: "HIGH", known_exploited: false })
      expect(metadata?.["cisa"]).toBeUndefined()
    }))

  it.scoped("an unknown id is nothing (empty list or 404); an item without its id is BadResponse; 403 throttling", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(nvdCve, [{
        request,
        response: { json: { resultsPerPage: 0, totalResults: 0, vulnerabilities: [] } }
      }], { target: vuln })
      expect(found(none.outcome)).toEqual([])
      const missing = yield* collectAgainst(nvdCve, [{ request, response: { status: 404, body: "" } }], {
        target: vuln
      })
      expect(found(missing.outcome)).toEqual([])
      const odd = yield* collectAgainst(nvdCve, [{
        request,
        response: { json: { vulnerabilities: [{ cve: { descriptions: [] } }] } }
      }], { target: vuln })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const throttled = yield* collectAgainst(nvdCve, [{ request, response: { status: 429, body: "" } }], {
        target: vuln
      })
      expect(throttled.outcome).toMatchObject({ left: { _tag: "RateLimited" } })
    }))
})
