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
})
