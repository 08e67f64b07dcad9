/** cisa_kev against a declared catalog: a listed CVE marked known exploited, an unlisted one, odd entries, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { cisaKev } from "@mirage/modules/modules/cisa_kev"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"
import { found } from "./threatSupport.js"

const request = { path: "/sites/default/files/feeds/known_exploited_vulnerabilities.json" }
const entry = (cveID: string, extra: Record<string, unknown> = {}) => ({
  cveID,
  vendorProject: "Example Networks",
  product: "EdgeOS",
  vulnerabilityName: "Example EdgeOS Command Injection",
  dateAdded: "2026-03-02",
  shortDescription: "EdgeOS lets an unauthenticated attacker run commands.",
  requiredAction: "Apply mitigations per vendor instructions or discontinue use of the product.",
  dueDate: "2026-03-23",
  knownRansomwareCampaignUse: "Known",
  notes: "https://vendor.example/advisory",
  cwes: ["CWE-78"],
  ...extra
})
const catalog = (vulnerabilities: ReadonlyArray<unknown>) => ({
  json: {
    title: "CISA Catalog of Known Exploited Vulnerabilities",
    catalogVersion: "2026.12.04",
    dateReleased: "2026-12-04T17:00:00.000Z",
    count: vulnerabilities.length,
    vulnerabilities
  }
})
const vuln = (value: string) => ({ type: "VULNERABILITY" as const, value })

describe("cisa_kev", () => {
  it.scoped("a listed CVE comes back known exploited with CISA's entry, its product as a TECHNOLOGY", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(cisaKev, [{
        request,
        response: catalog([entry("CVE-2026-1111"), entry("CVE-2025-2222", { product: "Other" })])
      }], { target: vuln("CVE-2026-1111") })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual(["VULNERABILITY CVE-2026-1111", "TECHNOLOGY Example Networks EdgeOS"])
      // The CVE asked, enriched: a scan keeps it although it has seen the CVE already.
      expect(Either.getOrThrow(run.outcome)[0]?.enrichment).toBe(true)
      expect(Either.getOrThrow(run.outcome)[0]?.metadata).toEqual({
        known_exploited: true,
        kev: {
          name: "Example EdgeOS Command Injection",
          vendor: "Example Networks",
          product: "EdgeOS",
          added: "2026-03-02",
          due: "2026-03-23",
          required_action: "Apply mitigations per vendor instructions or discontinue use of the product.",
          description: "EdgeOS lets an unauthenticated attacker run commands.",
          ransomware: true,
          cwes: ["CWE-78"]
        }
      })
    }))

  it.scoped("an unlisted CVE is nothing; an odd entry is skipped and counted; a catalog without its list is BadResponse", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(cisaKev, [{
        request,
        response: catalog([entry("CVE-2025-2222"), { vendorProject: "no id" }])
      }], { target: vuln("CVE-2026-1111") })
      expect(found(run.outcome)).toEqual([])
      expect(run.notes.rows_skipped).toBe(1)
      const odd = yield* collectAgainst(cisaKev, [{ request, response: { body: "<html>maintenance</html>" } }], {
        target: vuln("CVE-2026-1111")
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const empty = yield* collectAgainst(cisaKev, [{ request, response: { json: { title: "x" } } }], {
        target: vuln("CVE-2026-1111")
      })
      expect(empty.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
    }))
})
