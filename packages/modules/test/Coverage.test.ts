/** The catalogue's coverage of the schema: every entity type is produced by two modules or more and consumed by one. */
import { describe, expect, it } from "@effect/vitest"
import { entityTypes } from "@mirage/domain/Entity"
import { modules } from "@mirage/modules/Registry"

describe("entity coverage", () => {
  it("every entity type is produced by at least two modules and consumed by at least one", () => {
    const gaps = entityTypes.flatMap((type) => {
      const producers = modules.filter((module) => module.output_types.includes(type)).length
      const consumers = modules.filter((module) => module.input_types.includes(type)).length
      return [
        ...(producers < 2 ? [`${type} is produced by ${producers} module(s)`] : []),
        ...(consumers < 1 ? [`${type} is consumed by no module`] : [])
      ]
    })
    expect(gaps).toEqual([])
  })

  it("a module that enriches its input lists the input's type among its outputs", () => {
    // An enrichment is a finding of the task's own entity: a module that makes them must say it outputs that type.
    for (const id of ["phone", "dnsbl", "epss", "hibp_breach", "certificate_analysis"]) {
      const module = modules.find((m) => m.id === id)
      expect(module, id).toBeDefined()
      expect(module!.input_types.some((type) => module!.output_types.includes(type)), id).toBe(true)
    }
  })
})
