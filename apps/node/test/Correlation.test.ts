/**
 * Correlation in a sandbox scan: the node evaluates Mirage's rules and an organization's own on the results as they
 * are stored, and the findings are CORRELATION results of the scan, in the API like any other.
 */
import { describe, expect, layer as withLayer } from "@effect/vitest"
import { resultHash } from "@mirage/domain/Entity"
import { modules } from "@mirage/modules/Registry"
import { builtinFolder, loadFolder, parse } from "@mirage/runtime/monitoring/correlation/RuleFile"
import { Effect, Either } from "effect"
import { get, newCaller, post } from "../../gateway/test/Gateway.js"
import { allResults, layer, startAndWait, startNode, World } from "./Stack.js"

/** An organization's rules: one reported as results arrive, one (a maximum) once the scan has ended. */
const own = [
  `id: port_seen
version: 1
meta:
  name: Open port
  description: Every open port, one finding each.
  risk: LOW
collections:
  - collect:
      - method: exact
        field: type
        value: OPEN_PORT
headline: "Open port {data}"
`,
  `id: few_names
version: 1
meta:
  name: Few host names
  description: The scan found at most ten thousand names.
  risk: INFO
collections:
  - collect:
      - method: exact
        field: type
        value: DOMAIN
aggregation:
  field: type
analysis:
  - method: threshold
    field: data
    minimum: 1
    maximum: 10000
headline: "Host names found: {type}"
`
].map((text) => Either.getOrThrow(parse(text)))

/** The keyless modules whose results Mirage's rules read: names, addresses, ports, certificates, web sites, threats. */
const relevant = new Set([
  "dns_resolve",
  "dns_brute",
  "dns_zone_transfer",
  "crtsh",
  "certspotter",
  "port_scan_tcp",
  "tls_certificate",
  "http_probe",
  "shodan_internetdb",
  "otx_reputation",
  "urlhaus_host",
  "ip_api",
  "ripestat_prefixes",
  "asn_lookup"
])

describe("correlation in a scan", () => {
  withLayer(layer, { timeout: 180_000, excludeTestServices: true })((it) => {
    it.scoped(
      "a sandbox scan's results are correlated as they arrive: CORRELATION results with a risk level",
      () =>
        Effect.gen(function*() {
          const world = yield* World
          const builtin = yield* loadFolder(builtinFolder)
          yield* startNode("correlation-a", undefined, { correlation: [...builtin, ...own] })
          const caller = yield* newCaller("analyst")
          const chosen = modules.filter((module) => !module.source.requiresKey && relevant.has(module.id))
          const created = yield* post("/scans", {
            name: "sandbox, correlated",
            target: { type: "DOMAIN", value: world.domain },
            modules: chosen.map((module) => ({ id: module.id, config: world.moduleConfig[module.id] ?? {} })),
            configuration: { recursion_depth: 3, max_results: 100_000, max_duration: 170 }
          }, caller)
          const { id, status } = yield* startAndWait(created, caller)
          expect(status).toBe("COMPLETED")
          // The settled findings are stored by the scan's observer right after its end.
          let results = yield* allResults(id, caller)
          for (let i = 0; i < 100 && !results.some((r) => r.metadata["rule_id"] === "few_names"); i++) {
            yield* Effect.sleep("50 millis")
            results = yield* allResults(id, caller)
          }
          const findings = results.filter((r) => r.data_type === "CORRELATION")
          const hashes = new Set(results.map((r) => r.hash))
          hashes.add(resultHash("DOMAIN", world.domain))
          const ports = results.filter((r) => r.data_type === "OPEN_PORT")
          expect(ports.length).toBeGreaterThan(0)
          const portSeen = findings.filter((f) => f.metadata["rule_id"] === "port_seen")
          expect(portSeen.map((f) => f.data).sort()).toEqual(ports.map((p) => `Open port ${p.data}`).sort())
          expect(findings.filter((f) => f.metadata["rule_id"] === "few_names").map((f) => f.data))
            .toEqual(["Host names found: DOMAIN"])
          for (const finding of findings) {
            expect(["INFO", "LOW", "MEDIUM", "HIGH"]).toContain(finding.metadata["risk"])
            expect(finding.module_id).toBe("correlation")
            const evidence = finding.metadata["evidence"] as ReadonlyArray<string>
            expect(evidence.length).toBeGreaterThan(0)
            for (const hash of evidence) expect(hashes.has(hash), `${finding.data}: ${hash}`).toBe(true)
          }
          expect(new Set(findings.map((f) => f.hash)).size).toBe(findings.length)
          const builtinIds = new Set(builtin.map((rule) => rule.id))
          const fromBuiltin = findings.filter((f) => builtinIds.has(String(f.metadata["rule_id"])))
          expect(fromBuiltin.length).toBeGreaterThan(0)
          // The results API filters them by type like any other.
          const page = yield* get(`/scans/${id}/results?data_type=CORRELATION&limit=200`, caller)
          expect(page.status, page.text).toBe(200)
          expect((page.body as { items: ReadonlyArray<unknown> }).items).toHaveLength(Math.min(200, findings.length))
          // And the exports carry them.
          const exported = yield* get(`/scans/${id}/results?data_type=CORRELATION&format=ndjson`, caller)
          expect(exported.status).toBe(200)
          expect(exported.text.trim().split("\n")).toHaveLength(findings.length)
        }),
      170_000
    )
  })
})
