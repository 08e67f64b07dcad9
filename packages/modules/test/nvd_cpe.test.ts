/** nvd_cpe against a declared NVD CVE API 2.0: CPE from a technology, severity and KEV flag, odd rows, 404. */
import { describe, expect, it } from "@effect/vitest"
import { cpeOf, nvdCpe } from "@mirage/modules/modules/nvd_cpe"
import { Effect, Either, Option } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const technology = (value: string) => ({ type: "TECHNOLOGY" as const, value })
const request = (cpe: string, headers: Record<string, string | null> = {}) => ({
  path: "/rest/json/cves/2.0",
  query: { virtualMatchString: cpe, resultsPerPage: "200" },
  headers
})
const cve = (id: string, extra: Record<string, unknown> = {}) => ({
  cve: {
    id,
    sourceIdentifier: "security@example.test",
    published: "2023-10-10T14:15:10.883",
    vulnStatus: "Analyzed",
    descriptions: [{ lang: "es", value: "…" }, { lang: "en", value: `${id} in nginx` }],
    metrics: {
      cvssMetricV31: [{
        source: "nvd@nist.gov",
        type: "Primary",
        cvssData: { version: "3.1", vectorString: "CVSS:3.1/AV:N/AC:L", baseScore: 7.5, baseSeverity: "HIGH" }
      }]
    },
    ...extra
  }
})

describe("nvd_cpe", () => {
  it("reads a CPE from a technology: CPE 2.2 URIs, 2.3 strings, name and version; a bare name is none", () => {
    expect(cpeOf("cpe:/a:nginx:nginx:1.25.3")).toEqual(Option.some("cpe:2.3:a:nginx:nginx:1.25.3"))
    expect(cpeOf("cpe:2.3:a:jenkins:jenkins:2.440:*:*:*:*:*:*:*")).toEqual(
      Option.some("cpe:2.3:a:jenkins:jenkins:2.440:*:*:*:*:*:*:*")
    )
    expect(cpeOf("nginx 1.25.3")).toEqual(Option.some("cpe:2.3:a:*:nginx:1.25.3"))
    expect(cpeOf("Apache HTTP Server 2.4.58")).toEqual(Option.some("cpe:2.3:a:*:apache_http_server:2.4.58"))
    expect(cpeOf("nginx")).toEqual(Option.none())
    expect(cpeOf("cpe:/a:openbsd:openssh")).toEqual(Option.none())
  })

  it.scoped("asks by virtualMatchString, the key in apiKey; each CVE with severity and known exploitation", () =>
    Effect.gen(function*() {
      const key = "nvd-api-key-0123456789"
      const run = yield* collectAgainst(nvdCpe, [{
        request: request("cpe:2.3:a:*:nginx:1.25.3", { apikey: key }),
        response: {
          json: {
            resultsPerPage: 3,
            startIndex: 0,
            totalResults: 3,
            format: "NVD_CVE",
            version: "2.0",
            vulnerabilities: [
              cve("CVE-2023-44487", { cisaExploitAdd: "2023-10-10" }),
              cve("CVE-2024-7347", { metrics: {} }),
              { cve: { sourceIdentifier: "no id" } }
            ]
          }
        }
      }], { target: technology("nginx 1.25.3"), key })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => [f.type, f.value])).toEqual([
        ["VULNERABILITY", "CVE-2023-44487"],
        ["VULNERABILITY", "CVE-2024-7347"]
      ])
      expect(findings[0]?.metadata).toEqual({
        technology: "nginx 1.25.3",
        cpe: "cpe:2.3:a:*:nginx:1.25.3",
        cvss_score: 7.5,
        severity: "high",
        cvss_vector: "CVSS:3.1/AV:N/AC:L",
        known_exploited: true,
        published: "2023-10-10T14:15:10.883",
        status: "Analyzed",
        description: "CVE-2023-44487 in nginx"
      })
      expect(findings[1]?.metadata).toMatchObject({ known_exploited: false })
      expect(findings[1]?.metadata["severity"]).toBeUndefined()
      expect(run.notes.rows_skipped).toBe(1)
      expect(headersCarrying(run.server, key)).toEqual(["apikey"])
      expectHidden(run, key)
    }))

  it.scoped("keyless works; 404 is nothing; a versionless name sends nothing; no list is BadResponse", () =>
    Effect.gen(function*() {
      const keyless = yield* collectAgainst(nvdCpe, [{
        request: request("cpe:2.3:a:openbsd:openssh:9.6", { apikey: null }),
        response: { json: { totalResults: 0, vulnerabilities: [] } }
      }], { target: technology("cpe:/a:openbsd:openssh:9.6") })
      yield* keyless.server.verify
      expect(Either.getOrThrow(keyless.outcome)).toEqual([])
      const missing = yield* collectAgainst(nvdCpe, [{
        request: request("cpe:2.3:a:*:thing:1.0"),
        response: { status: 404, headers: { message: "Invalid cpeMatchString parameter" }, body: "" }
      }], { target: technology("thing 1.0") })
      expect(Either.getOrThrow(missing.outcome)).toEqual([])
      const bare = yield* collectAgainst(nvdCpe, [], { target: technology("nginx") })
      expect(Either.getOrThrow(bare.outcome)).toEqual([])
      expect(bare.server.received()).toEqual([])
      expect(bare.notes.rows_skipped).toBe(1)
      const broken = yield* collectAgainst(nvdCpe, [{
        request: request("cpe:2.3:a:*:nginx:1.25.3"),
        response: { json: { message: "odd" } }
      }], { target: technology("nginx 1.25.3") })
      expect(broken.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))
})
