import { describe, expect, it } from "@effect/vitest"
import { enrichmentHash, entityKey, resultHash } from "@mirage/domain/Entity"
import type { EntityType } from "@mirage/domain/Entity"
import { admit, taskSucceeded, toResult, unexpanded } from "@mirage/domain/Findings"
import type { Finding } from "@mirage/domain/Findings"
import { resultIdFor } from "@mirage/domain/Ids"
import { replay } from "@mirage/domain/ScanMachine"
import { DateTime, FastCheck, HashMap } from "effect"
import { domain, Driver, entity, plannedIn, scanId, T0, view } from "./support.js"

const finding = (type: EntityType, value: string, confidence = 0.9): Finding => ({
  type,
  value,
  confidence,
  source_data: { from: "test" },
  metadata: { note: value }
})

/** A running scan whose dns task on the target is running, with the given result budget. */
const running = (maxResults = 100) => {
  const driver = new Driver({ config: { max_results: maxResults } })
  driver.start()
  const task = driver.task("dns", "example.com")
  driver.begin(task)
  return { driver, task: driver.task("dns", "example.com") }
}

describe("admit", () => {
  it("keeps canonical entities once each and drops what is not of its type", () => {
    const { driver } = running()
    const admitted = admit(driver.scan, [
      finding("DOMAIN", "WWW.Example.ORG."),
      finding("DOMAIN", "www.example.org"),
      finding("DOMAIN", "not a domain"),
      finding("IP", "192.0.2.1")
    ])
    expect(admitted.entities).toEqual([domain("www.example.org"), entity("IP", "192.0.2.1")])
    expect(admitted.stored.map((s) => s.entity)).toEqual(admitted.entities)
    // The finding each result came from is the first one of its entity.
    expect(admitted.stored[0]!.finding.value).toBe("WWW.Example.ORG.")
  })

  it("replaces what the stores cannot keep (U+0000, lone surrogates) with U+FFFD instead of dropping the finding", () => {
    const { driver, task } = running()
    const odd: Finding = {
      type: "USERNAME",
      value: "ann\u0000ie",
      confidence: 0.9,
      source_data: { raw: "x\ud800y", "k\u0000": ["\u0000", { deep: "\udc00" }], emoji: "\ud83d\ude00" },
      metadata: { note: "a\u0000b" }
    }
    const admitted = admit(driver.scan, [odd, finding("ORGANIZATION", "Acme\u0000 Corp")])
    expect(admitted.entities).toEqual([entity("USERNAME", "ann\uFFFDie"), entity("ORGANIZATION", "Acme\uFFFD Corp")])
    const [result] = taskSucceeded(driver.scan, task, [odd], T0).results
    expect(result?.data).toBe("ann\uFFFDie")
    expect(result?.source_data).toEqual({
      raw: "x\uFFFDy",
      "k\uFFFD": ["\uFFFD", { deep: "\uFFFD" }],
      emoji: "\ud83d\ude00"
    })
    expect(result?.metadata).toEqual({ note: "a\uFFFDb" })
    // Nothing PostgreSQL's text or jsonb refuses is left: JSON.stringify escapes NUL and lone surrogates (not pairs).
    expect(JSON.stringify(result)).not.toMatch(/\\u0000|\\ud[89a-f][0-9a-f]{2}/)
  })

  it("passes entities the scan has seen to the machine without storing them again", () => {
    const { driver } = running()
    const admitted = admit(driver.scan, [finding("DOMAIN", "example.com"), finding("DOMAIN", "new.example.com")])
    expect(admitted.entities).toEqual([domain("example.com"), domain("new.example.com")])
    expect(admitted.stored.map((s) => s.entity)).toEqual([domain("new.example.com")])
  })

  it("stores new entities only within the result budget; seen ones still go to the machine", () => {
    const { driver, task } = running(3)
    driver.succeed(task, [domain("a.example.com")], 1)
    // Budget left: 3 - 1 = 2.
    const admitted = admit(driver.scan, [
      finding("DOMAIN", "b.example.com"),
      finding("DOMAIN", "c.example.com"),
      finding("DOMAIN", "d.example.com"),
      finding("DOMAIN", "a.example.com")
    ])
    expect(admitted.stored.map((s) => s.entity.value)).toEqual(["b.example.com", "c.example.com"])
    expect(admitted.entities.map((e) => e.value)).toEqual(["b.example.com", "c.example.com", "a.example.com"])
  })

  it("never stores more than the budget, a seen entity or one entity twice", () => {
    const values = FastCheck.array(
      FastCheck.record({
        label: FastCheck.constantFrom("a", "b", "c", "d", "e", "example", "WWW.A"),
        type: FastCheck.constantFrom<EntityType>("DOMAIN", "IP")
      }),
      { maxLength: 20 }
    )
    FastCheck.assert(
      FastCheck.property(values, FastCheck.integer({ min: 1, max: 5 }), (raw, budget) => {
        const { driver } = running(budget)
        const findings = raw.map(({ label, type }) =>
          finding(type, type === "IP" ? `192.0.2.${label.length}` : `${label}.com`)
        )
        const admitted = admit(driver.scan, findings)
        const stored = admitted.stored.map((s) => entityKey(s.entity))
        const keys = admitted.entities.map(entityKey)
        expect(stored.length).toBeLessThanOrEqual(budget - driver.scan.result_count)
        expect(new Set(keys).size).toBe(keys.length)
        expect(stored.every((key) => keys.includes(key) && !HashMap.has(driver.scan.seen, key))).toBe(true)
        expect(keys.filter((key) => !HashMap.has(driver.scan.seen, key))).toEqual(stored)
      })
    )
  })
})

describe("toResult", () => {
  it("derives the result's id from the scan and the entity, and clamps the confidence", () => {
    const { task } = running()
    const result = toResult(scanId, task, domain("www.example.org"), finding("DOMAIN", "WWW.example.org", 1.7), T0)
    const hash = resultHash("DOMAIN", "www.example.org")
    expect(result.id).toBe(resultIdFor(scanId, hash))
    expect(result.hash).toBe(hash)
    expect(result.scan_id).toBe(scanId)
    expect(result.task_id).toBe(task.task_id)
    expect(result.module_id).toBe("dns")
    expect(result.data_type).toBe("DOMAIN")
    expect(result.data).toBe("www.example.org")
    expect(result.confidence).toBe(1)
    expect(DateTime.toEpochMillis(result.collected_at)).toBe(T0)
    expect(result.source_data).toEqual({ from: "test" })
    expect(result.metadata).toEqual({ note: "WWW.example.org" })
    // Discovered from the entity its task ran on.
    expect(result.parent).toBe(resultHash(task.entity.type, task.entity.value))
    expect(result.parent).not.toBe(result.hash)
    expect(toResult(scanId, task, domain("x.example.org"), finding("DOMAIN", "x.example.org", -2), T0).confidence).toBe(
      0
    )
  })

  it("copies the finding's records, so the result does not share them", () => {
    const { task } = running()
    const source = finding("DOMAIN", "x.example.org")
    const result = toResult(scanId, task, domain("x.example.org"), source, T0)
    expect(result.source_data).not.toBe(source.source_data)
    expect(result.metadata).not.toBe(source.metadata)
  })
})

describe("taskSucceeded", () => {
  it("gives the results to store and the command that reports them", () => {
    const { driver, task } = running()
    const succeeded = taskSucceeded(driver.scan, task, [
      finding("DOMAIN", "example.com"),
      finding("DOMAIN", "New.Example.com"),
      finding("IP", "192.0.2.7")
    ], T0 + 5)
    expect(succeeded.results.map((r) => [r.data_type, r.data])).toEqual([
      ["DOMAIN", "new.example.com"],
      ["IP", "192.0.2.7"]
    ])
    expect(succeeded.results.every((r) => r.scan_id === driver.scan.id && r.task_id === task.task_id)).toBe(true)
    expect(succeeded.command).toEqual({
      _tag: "TaskSucceeded",
      task_id: task.task_id,
      result_count: 2,
      entities: [domain("example.com"), domain("new.example.com"), entity("IP", "192.0.2.7")]
    })
    // The machine takes the command: the new entities are planned, the results counted.
    driver.send(succeeded.command)
    expect(driver.scan.result_count).toBe(2)
  })

  it("reports a task that found nothing", () => {
    const { driver, task } = running()
    const succeeded = taskSucceeded(driver.scan, task, [], T0)
    expect(succeeded.results).toEqual([])
    expect(succeeded.command).toEqual({ _tag: "TaskSucceeded", task_id: task.task_id, result_count: 0, entities: [] })
  })
})

describe("enrichment", () => {
  const listing = (zone: string): Finding => ({
    type: "DOMAIN",
    value: "EXAMPLE.com",
    confidence: 0.8,
    source_data: { zone },
    metadata: { listed_on: [zone] },
    enrichment: true
  })

  it("keeps what a module says about its own input as one result keyed by entity and module", () => {
    const { driver, task } = running()
    const outcome = taskSucceeded(driver.scan, task, [
      listing("zen.spamhaus.example"),
      listing("bl.spamcop.example"),
      finding("DOMAIN", "new.example.com")
    ], T0)
    expect(outcome.command.result_count).toBe(1)
    expect(outcome.results.map((r) => r.data)).toEqual(["new.example.com", "example.com"])
    const enrichment = outcome.results[1]!
    const hash = enrichmentHash("DOMAIN", "example.com", "dns")
    expect(enrichment.hash).toBe(hash)
    expect(enrichment.id).toBe(resultIdFor(scanId, hash))
    expect(enrichment.data_type).toBe("DOMAIN")
    expect(enrichment.module_id).toBe("dns")
    expect(enrichment.parent).toBe(resultHash("DOMAIN", "example.com"))
    // The first finding's fields win; the metadata says which entity it enriches.
    expect(enrichment.metadata).toEqual({
      listed_on: ["zen.spamhaus.example"],
      enriches: resultHash("DOMAIN", "example.com")
    })
    // The input still reaches the machine as a seen entity, as before.
    expect(outcome.command.entities.map((e) => e.value)).toEqual(["example.com", "new.example.com"])
  })

  it("a repeat of the input not marked as enrichment is none; other modules' enrichments are distinct", () => {
    const { driver, task } = running()
    const plain = taskSucceeded(driver.scan, task, [{ ...listing("x"), enrichment: false }], T0)
    expect(plain.results).toEqual([])
    expect(admit(driver.scan, [listing("x")]).enrichment).toBeUndefined()
    expect(enrichmentHash("DOMAIN", "example.com", "dns")).not.toBe(enrichmentHash("DOMAIN", "example.com", "dnsbl"))
  })

  it("is kept even when the result budget is spent", () => {
    const { driver, task } = running(1)
    driver.succeed(task, [domain("a.example.com")], 1)
    const next = driver.task("dns", "example.com")
    const outcome = taskSucceeded(driver.scan, next, [finding("DOMAIN", "b.example.com"), listing("zone")], T0)
    expect(outcome.results.map((r) => r.data)).toEqual(["example.com"])
    expect(outcome.command.result_count).toBe(0)
  })
})

describe("new entities only", () => {
  /** A running scan whose dns task on the target is running; the series knew a.example.com before it. */
  const scan = (newOnly: boolean) => {
    const driver = new Driver({ config: { new_entities_only: newOnly } })
    driver.start()
    driver.begin(driver.task("dns", "example.com"))
    return { driver, task: driver.task("dns", "example.com") }
  }
  const known = new Set([entityKey(domain("a.example.com")), entityKey(entity("IP", "192.0.2.9"))])
  const found = [finding("DOMAIN", "A.example.com."), finding("DOMAIN", "b.example.com")]

  it("records what the series knew as results and entities, and expands only what is new", () => {
    const { driver, task } = scan(true)
    const succeeded = taskSucceeded(driver.scan, task, found, T0, known)
    expect(succeeded.results.map((r) => r.data)).toEqual(["a.example.com", "b.example.com"])
    expect(succeeded.command.known).toEqual([entityKey(domain("a.example.com"))])
    const events = driver.send(succeeded.command)
    const completed = events.find((e) => e._tag === "TaskCompleted")
    expect(completed?._tag === "TaskCompleted" && completed.discovered.map((e) => e.value)).toEqual([
      "a.example.com",
      "b.example.com"
    ])
    // dns and crtsh on b only: a is seen by the scan (not found again as new) but not processed.
    expect(plannedIn(events).map((t) => `${t.module_id} ${t.entity.value}`).sort()).toEqual([
      "crtsh b.example.com",
      "dns b.example.com"
    ])
    expect(HashMap.has(driver.scan.seen, entityKey(domain("a.example.com")))).toBe(true)
    // The machine's replay of the log gives the same state: the decision is in the events.
    expect(view(replay(driver.log)!)).toEqual(view(driver.scan))
  })

  it("expands everything without the option, or without an inventory to read", () => {
    for (const [newOnly, inventory] of [[false, known], [true, undefined]] as const) {
      const { driver, task } = scan(newOnly)
      const succeeded = taskSucceeded(driver.scan, task, found, T0, inventory)
      expect(succeeded.command.known).toBeUndefined()
      expect(unexpanded(driver.scan, succeeded.command.entities, inventory)).toEqual([])
      const planned = plannedIn(driver.send(succeeded.command)).map((t) => `${t.module_id} ${t.entity.value}`)
      expect(planned.sort()).toEqual([
        "crtsh a.example.com",
        "crtsh b.example.com",
        "dns a.example.com",
        "dns b.example.com"
      ])
    }
  })
})
