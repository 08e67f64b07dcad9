/**
 * The threat-reputation template in the sandbox world: from the VPN endpoint that brute-forces SSH, and from the
 * forgotten host serving a phishing kit, the blocklists and threat feeds (keyed ones with their keys) say what they
 * know, and the CVE found on the address is enriched.
 */
import { describe, expect, layer as withLayer } from "@effect/vitest"
import { IntelWorld } from "@mirage/testkit"
import { threatKeys } from "@mirage/testkit/ThreatData"
import { Effect } from "effect"
import { newCaller, post } from "../../gateway/test/Gateway.js"
import { allResults, layer, startAndWait, startNode, World, worldExecutor } from "./Stack.js"

const keys = {
  abuseipdb: [threatKeys.abuseipdb],
  crowdsec: [threatKeys.crowdsec],
  threatfox: [threatKeys.threatfox],
  google_safebrowsing: [threatKeys.google_safebrowsing],
  urlhaus: [IntelWorld.keys.urlhaus]
}

const reputationOf = (type: "IP" | "DOMAIN", value: string) =>
  Effect.gen(function*() {
    const caller = yield* newCaller("analyst")
    const created = yield* post("/scans", {
      name: `reputation of ${value}`,
      target: { type, value },
      template_id: "threat-reputation",
      configuration: { max_results: 10_000, max_duration: 120 }
    }, caller)
    const { id, status } = yield* startAndWait(created, caller)
    const results = yield* allResults(id, caller)
    const by = (module: string) => results.filter((r) => r.module_id === module)
    return { status, results, by, types: new Set(results.map((r) => r.data_type)) }
  })

describe("threat reputation", () => {
  withLayer(layer, { timeout: 180_000, excludeTestServices: true })((it) => {
    it.scoped("an address: abuse reports, IOCs and CTI on it, and its CVE's severity and known exploitation", () =>
      Effect.gen(function*() {
        const world = yield* World
        yield* startNode("threats-ip", worldExecutor(world, keys))
        const { by, status, types } = yield* reputationOf("IP", "203.0.113.5")
        expect(status).toBe("COMPLETED")
        expect(types.size).toBeGreaterThanOrEqual(3)
        expect(by("abuseipdb").length).toBeGreaterThan(0)
        expect(by("threatfox").some((r) => r.data === "203.0.113.5:8443")).toBe(true)
        expect(by("crowdsec_cti").some((r) => r.data === "CVE-2024-6387")).toBe(true)
        // The CVE the address carries, enriched from the NVD.
        expect(by("nvd_cve").some((r) => r.data === "CVE-2024-6387")).toBe(true)
      }))

    it.scoped("a host: the phishing and malware URLs the feeds list on it, and its pulses", () =>
      Effect.gen(function*() {
        const world = yield* World
        yield* startNode("threats-domain", worldExecutor(world, keys))
        const { by, status } = yield* reputationOf("DOMAIN", "legacy.mirage-sandbox.test")
        expect(status).toBe("COMPLETED")
        expect(by("openphish").map((r) => r.data)).toContain("http://legacy.mirage-sandbox.test/secure/login.php")
        expect(by("urlhaus_host").map((r) => r.data)).toContain("http://legacy.mirage-sandbox.test/old.php?id=1")
        expect(by("google_safebrowsing").length).toBeGreaterThan(0)
        expect(by("otx_reputation").length).toBeGreaterThan(0)
      }))
  })
})
