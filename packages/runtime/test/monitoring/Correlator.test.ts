/**
 * The node's correlator over the real result store (FerretDB, a fresh database per test): findings as batches are
 * stored, the rest when the scan ends, and an engine rebuilt on another node reports nothing twice. Mirage's own
 * rules are run on results shaped as its modules make them.
 */
import { describe, expect, it } from "@effect/vitest"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { evaluate } from "@mirage/domain/correlation/Engine"
import { targetElement, toElement } from "@mirage/domain/correlation/Results"
import { Entity, resultHash } from "@mirage/domain/Entity"
import type { EntityType } from "@mirage/domain/Entity"
import { ModuleId, OrganizationId, resultIdFor, ScanId, taskIdFor } from "@mirage/domain/Ids"
import { TestStores } from "@mirage/testkit"
import { DateTime, Effect, Either, Redacted, TestClock } from "effect"
import * as Correlator from "../../src/monitoring/correlation/Correlator.js"
import { builtinFolder, loadFolder, parse } from "../../src/monitoring/correlation/RuleFile.js"
import { RuleStore, storedRule } from "../../src/monitoring/correlation/RuleStore.js"
import * as RuleStorePostgres from "../../src/monitoring/correlation/RuleStore/Postgres.js"
import * as MongoDatabase from "../../src/platform/MongoDatabase.js"
import * as PgClient from "../../src/platform/PgClient.js"
import { ResultStore } from "../../src/scans/ResultStore.js"
import * as ResultStoreMongo from "../../src/scans/ResultStore/Mongo.js"
import { sshRuleText } from "./Harness.js"

const scanId = ScanId.make("77777777-7777-4777-8777-777777777777")
const organization = OrganizationId.make("77777777-7777-4777-8777-000000000001")
const scan = (id: ScanId = scanId, organization_id: OrganizationId = organization) => ({
  scan_id: id,
  organization_id,
  targets: [target]
})
const target = new Entity({ type: "DOMAIN", value: "example.com" })
const now = Date.parse("2026-06-01T00:00:00Z")

const result = (
  type: EntityType,
  data: string,
  options: { module?: string; parent?: string; metadata?: Record<string, unknown>; scan?: ScanId } = {}
): CollectionResult => {
  const hash = resultHash(type, data)
  const owner = options.scan ?? scanId
  return new CollectionResult({
    id: resultIdFor(owner, hash),
    task_id: taskIdFor(owner, data, options.module ?? "dns_resolve"),
    scan_id: owner,
    module_id: ModuleId.make(options.module ?? "dns_resolve"),
    data_type: type,
    data,
    source_data: {},
    confidence: 0.9,
    collected_at: DateTime.unsafeMake(now),
    metadata: options.metadata ?? {},
    hash,
    parent: options.parent ?? resultHash("DOMAIN", "example.com")
  })
}

const rule = (text: string) => Either.getOrThrow(parse(text))
const ports = rule(`id: ports
version: 1
meta: { name: Ports, description: Each open port, risk: LOW }
collections:
  - collect:
      - { method: exact, field: type, value: OPEN_PORT }
headline: "Port {data}"
`)
const rare = rule(`id: rare
version: 1
meta: { name: Rare, description: At most one port per address, risk: INFO }
collections:
  - collect:
      - { method: exact, field: type, value: OPEN_PORT }
aggregation: { field: source.data }
analysis:
  - { method: threshold, field: data, maximum: 1 }
headline: "One port on {source.data}"
`)

const stores = Effect.gen(function*() {
  const { url } = yield* TestStores.freshMongoDatabase
  const db = yield* MongoDatabase.make(Redacted.make(url))
  const sql = yield* PgClient.make({ url: Redacted.make(yield* TestStores.freshDatabase), max: 4 })
  const results = yield* ResultStoreMongo.make.pipe(
    Effect.provideService(MongoDatabase.MongoDatabase, db),
    Effect.provideService(PgClient.PgClient, sql)
  )
  return { results, sql }
}).pipe(Effect.orDie)

const store = Effect.map(stores, ({ results }) => results)

describe("Correlator", () => {
  it.scoped("reports as batches are stored, settles at the end, and a rebuilt engine reports nothing twice", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      const results = yield* store
      const node = yield* Correlator.make([ports, rare]).pipe(Effect.provideService(ResultStore, results))
      const ip1 = result("IP", "192.0.2.1")
      const ip2 = result("IP", "192.0.2.2")
      const batch1 = [ip1, ip2, result("OPEN_PORT", "192.0.2.1:22", { module: "port_scan_tcp", parent: ip1.hash })]
      // Stored, then observed: as the scan actor's result sink does.
      const store1 = (batch: ReadonlyArray<CollectionResult>) => results.insert(scanId, batch)
      yield* store1(batch1)
      const first = yield* node.observe(scan(), batch1)
      expect(first.map((r) => r.data)).toEqual(["Port 192.0.2.1:22"])
      expect(first[0]).toMatchObject({ data_type: "CORRELATION", metadata: { rule_id: "ports", risk: "LOW" } })
      yield* store1(first)
      // The scan moves to another node: its correlator rebuilds the engine from the store.
      const other = yield* Correlator.make([ports, rare]).pipe(Effect.provideService(ResultStore, results))
      const batch2 = [
        result("OPEN_PORT", "192.0.2.1:443", { module: "port_scan_tcp", parent: ip1.hash }),
        result("OPEN_PORT", "192.0.2.2:80", { module: "port_scan_tcp", parent: ip2.hash })
      ]
      yield* store1(batch2)
      const second = yield* other.observe(scan(), batch2)
      expect(second.map((r) => r.data).sort()).toEqual(["Port 192.0.2.1:443", "Port 192.0.2.2:80"])
      yield* store1(second)
      const settled = yield* other.settle(scan())
      expect(settled.map((r) => r.data)).toEqual(["One port on 192.0.2.2"])
      expect(settled[0]!.metadata["evidence"]).toEqual([batch2[1]!.hash])
    }))

  it.scoped("a scan's engine runs its organization's uploaded rules with the node's, and no other organization's", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(now)
      const { results, sql } = yield* stores
      const rules = yield* RuleStorePostgres.make.pipe(Effect.provideService(PgClient.PgClient, sql))
      const own = sshRuleText("ssh_open")
      yield* rules.put(storedRule(organization, rule(own), own, now))
      // The organization's rule of a built-in rule's id replaces it for its scans only.
      const replacing = own.replace("ssh_open", "ports")
      yield* rules.put(storedRule(organization, rule(replacing), replacing, now))
      const node = yield* Correlator.make([ports]).pipe(
        Effect.provideService(ResultStore, results),
        Effect.provideService(RuleStore, rules)
      )
      const other = ScanId.make("77777777-7777-4777-8777-777777777778")
      const stranger = OrganizationId.make("77777777-7777-4777-8777-000000000002")
      const ip = result("IP", "192.0.2.1")
      const batch = [ip, result("OPEN_PORT", "192.0.2.1:22", { module: "port_scan_tcp", parent: ip.hash })]
      yield* results.insert(scanId, batch)
      const mine = yield* node.observe(scan(), batch)
      expect(mine.map((r) => [r.metadata["rule_id"], r.data]).sort()).toEqual([
        ["ports", "SSH on 192.0.2.1:22"],
        ["ssh_open", "SSH on 192.0.2.1:22"]
      ])
      const ip2 = result("IP", "192.0.2.1", { scan: other })
      const batch2 = [
        ip2,
        result("OPEN_PORT", "192.0.2.1:22", { module: "port_scan_tcp", parent: ip2.hash, scan: other })
      ]
      yield* results.insert(other, batch2)
      const theirs = yield* node.observe(scan(other, stranger), batch2)
      expect(theirs.map((r) => [r.metadata["rule_id"], r.data])).toEqual([["ports", "Port 192.0.2.1:22"]])
    }))

  it.effect("Mirage's rules find what they are written for in results shaped as its modules make them", () =>
    Effect.gen(function*() {
      const rules = yield* loadFolder(builtinFolder)
      const t = targetElement(target)
      const ip = result("IP", "192.0.2.7")
      const asn = (n: number, cc: string) =>
        result("ASN", `AS${n}`, { module: "ip_api", metadata: { location: { country_code: cc } } })
      const cert = (name: string, metadata: Record<string, unknown>) =>
        result("DOMAIN", name, {
          module: "tls_certificate",
          metadata: { self_signed: false, expired: false, fingerprint256: `fp-${name}`, ...metadata }
        })
      const results = [
        ip,
        cert("old.example.com", { expired: true, valid_to: "2026-01-01T00:00:00.000Z" }),
        cert("soon.example.com", { valid_to: "2026-06-20T00:00:00.000Z" }),
        cert("fine.example.com", { valid_to: "2027-06-20T00:00:00.000Z" }),
        cert("lab.example.com", { self_signed: true, valid_to: "2027-06-20T00:00:00.000Z" }),
        result("OPEN_PORT", "192.0.2.7:5432", { module: "port_scan_tcp", parent: ip.hash }),
        result("OPEN_PORT", "192.0.2.7:3389", { module: "shodan_internetdb", parent: ip.hash }),
        result("OPEN_PORT", "192.0.2.7:443", { module: "port_scan_tcp", parent: ip.hash }),
        result("VULNERABILITY", "CVE-2021-44228", { module: "shodan_host", metadata: { ip: "192.0.2.7", cvss: 10 } }),
        result("URL", "https://otx.alienvault.com/pulse/1", { module: "otx_reputation", parent: ip.hash }),
        result("URL", "http://192.0.2.7/bad.exe", {
          module: "urlhaus_host",
          parent: ip.hash,
          metadata: { status: "online" }
        }),
        result("DOMAIN", "staging.example.com"),
        result("DOMAIN", "mail.example.com"),
        result("DOMAIN", "jenkins.example.com"),
        ...Array.from({ length: 12 }, (_, i) => asn(64500 + i, i < 11 ? "DE" : "BR"))
      ]
      const found = evaluate(rules, [t, ...results.map((r) => toElement(r)!)], now)
      const fired = (id: string) => found.filter((f) => f.rule.id === id).map((f) => f.headline)
      expect(fired("certificate_expired")).toEqual([
        "Expired TLS certificate (valid until 2026-01-01T00:00:00.000Z) served for old.example.com"
      ])
      expect(fired("certificate_expiring_soon")).toEqual([
        "TLS certificate for soon.example.com expires soon (2026-06-20T00:00:00.000Z)"
      ])
      expect(fired("certificate_self_signed")).toEqual(["Self-signed TLS certificate served for lab.example.com"])
      expect(fired("database_port_exposed")).toEqual(["Database port reachable from the Internet: 192.0.2.7:5432"])
      expect(fired("remote_desktop_exposed")).toEqual(["Remote desktop reachable from the Internet: 192.0.2.7:3389"])
      expect(fired("vulnerability_critical")).toEqual(["Critical vulnerability CVE-2021-44228 (CVSS 10) on 192.0.2.7"])
      expect(fired("vulnerability_high")).toEqual([])
      expect(fired("reputation_multiple_sources")).toEqual(["Host listed by several reputation sources: 192.0.2.7"])
      expect(fired("malware_url_online")).toEqual(["Malware distribution URL online on 192.0.2.7"])
      expect(fired("dev_or_staging_name")).toEqual(["Development or staging host name: staging.example.com"])
      expect(fired("admin_interface_name")).toEqual([
        "Administrative or internal tool exposed by name: jenkins.example.com"
      ])
      expect(fired("outlier_hosting_country")).toEqual(["Outlier hosting country: BR"])
    }))
})
