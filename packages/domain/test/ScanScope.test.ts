/**
 * A scan's scope: which entities recursion may process (domains bound the names, the blacklist
 * wins over everything), and the machine planning no task for what is out of scope while still
 * reporting it as found.
 */
import { describe, expect, it } from "@effect/vitest"
import { ScanConfiguration, ScanDefinition } from "@mirage/domain/Scan"
import { inScope } from "@mirage/domain/ScanScope"
import type { ScanScope } from "@mirage/domain/ScanScope"
import { createCommand, definitionOf, domain, Driver, entity, plannedIn } from "./support.js"

const scope: ScanScope = {
  domains: ["example.com"],
  blacklist: ["admin.example.com", "10.0.0.0/8", "192.0.2.7", "secret@example.com"]
}

describe("inScope", () => {
  it.each(
    [
      ["DOMAIN", "example.com", true],
      ["DOMAIN", "www.example.com", true],
      ["DOMAIN", "WWW.Example.COM.", true],
      ["DOMAIN", "example.org", false],
      ["DOMAIN", "notexample.com", false],
      ["DOMAIN", "admin.example.com", false],
      ["DOMAIN", "deep.admin.example.com", false],
      ["EMAIL", "bob@example.com", true],
      ["EMAIL", "bob@example.org", false],
      ["EMAIL", "secret@example.com", false],
      ["URL", "https://www.example.com/a", true],
      ["URL", "https://admin.example.com/a", false],
      ["IP", "93.184.216.34", true],
      ["IP", "10.1.2.3", false],
      ["IP", "192.0.2.7", false],
      ["OPEN_PORT", "10.9.9.9:22", false],
      ["OPEN_PORT", "93.184.216.34:443", true],
      ["ASN", "AS64500", true]
    ] as const
  )("%s %s → %s", (type, value, expected) => {
    expect(inScope(scope, entity(type, value))).toBe(expected)
  })

  it("no scope, or an empty one, bounds nothing", () => {
    expect(inScope(undefined, domain("anything.test"))).toBe(true)
    expect(inScope({}, domain("anything.test"))).toBe(true)
  })
})

const scoped = (bounds: ScanScope, target = domain("example.com")) => {
  const base = definitionOf({ target })
  const definition = ScanDefinition.make({
    ...base,
    configuration: ScanConfiguration.make({ recursion_depth: 3, scope: bounds })
  })
  const d = new Driver()
  d.send({ ...createCommand({ target }), definition } as ReturnType<typeof createCommand>)
  return d
}

describe("a scan with a scope", () => {
  it("plans tasks only for what is in scope; the rest is still reported as found", () => {
    const d = scoped(scope)
    d.start()
    const events = d.run(d.task("dns", "example.com"), [
      domain("www.example.com"),
      domain("admin.example.com"),
      domain("elsewhere.org"),
      entity("IP", "10.0.0.5"),
      entity("IP", "93.184.216.34")
    ])
    const planned = plannedIn(events).map((task) => task.entity.value)
    expect(new Set(planned)).toEqual(new Set(["www.example.com", "93.184.216.34"]))
    const completed = events.find((event) => event._tag === "TaskCompleted")
    expect(completed?._tag === "TaskCompleted" ? completed.discovered.length : 0).toBe(5)
  })

  it("a blacklisted target is not processed at all", () => {
    const d = scoped({ blacklist: ["example.com"] })
    expect(plannedIn(d.start())).toEqual([])
  })
})
