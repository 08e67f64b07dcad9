/** Built-in templates resolved against the registry: a template may choose its modules by flag. */
import { describe, expect, it } from "@effect/vitest"
import { modules } from "@mirage/modules/Registry"
import { Option } from "effect"
import { findBuiltin } from "../../src/scans/Templates.js"

describe("built-in templates", () => {
  it("all-passive-sources runs every installed passive, safe module and nothing active", () => {
    const template = Option.getOrThrow(findBuiltin("all-passive-sources"))
    const expected = modules.filter((m) => m.flags.includes("passive") && m.flags.includes("safe")).map((m) => m.id)
    expect(template.modules.map((m) => m.id)).toEqual(expected)
    expect(expected).toEqual(expect.arrayContaining(["crtsh", "certspotter", "wayback", "rdap_domain"]))
    expect(template.modules.map((m) => m.id)).not.toContain("dns_brute")
  })

  it("templates that name their modules keep exactly those", () => {
    const passive = Option.getOrThrow(findBuiltin("passive-domain-footprint"))
    expect(passive.modules.map((m) => m.id)[0]).toBe("crtsh")
    expect(passive.modules).toHaveLength(9)
  })

  it("full-domain-footprint runs LeakIX, not the sources that closed or block clients; their descriptions say so", () => {
    const full = Option.getOrThrow(findBuiltin("full-domain-footprint")).modules.map((m) => m.id)
    expect(full).toContain("leakix")
    const closed = ["sitedossier", "certificatedetails", "threatminer", "binaryedge", "passivetotal"]
    for (const id of closed) {
      expect(full).not.toContain(id)
      const module = modules.find((m) => m.id === id)
      expect(module?.description, id).toContain("(service closed or blocked as of 2026; see SOURCES.md)")
    }
    // Only those five say so, and no template that names its modules names one of them.
    const said = modules.filter((m) => m.description.includes("service closed or blocked")).map((m) => m.id)
    expect([...said].sort()).toEqual([...closed].sort())
    for (const id of ["passive-domain-footprint", "full-domain-footprint", "ip-infrastructure-mapping"]) {
      const named = Option.getOrThrow(findBuiltin(id)).modules.map((m) => m.id)
      expect(named.filter((module) => closed.includes(module)), id).toEqual([])
    }
  })
})
