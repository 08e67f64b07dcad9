/** Choosing modules by flag: every include flag present, no exclude flag. */
import { describe, expect, it } from "@effect/vitest"
import { selectByFlags } from "@mirage/domain/ModuleFlag"
import type { ModuleFlag } from "@mirage/domain/ModuleFlag"

const modules: ReadonlyArray<{ readonly id: string; readonly flags: ReadonlyArray<ModuleFlag> }> = [
  { id: "ct", flags: ["passive", "safe"] },
  { id: "keyed", flags: ["passive", "safe", "needs-key"] },
  { id: "brute", flags: ["active", "aggressive", "noisy"] },
  { id: "probe", flags: ["active", "safe"] }
]

describe("selectByFlags", () => {
  it("keeps the modules with every included flag and none of the excluded, in order", () => {
    expect(selectByFlags(modules, { include: ["passive"] }).map((m) => m.id)).toEqual(["ct", "keyed"])
    expect(selectByFlags(modules, { include: ["passive"], exclude: ["needs-key"] }).map((m) => m.id)).toEqual(["ct"])
    expect(selectByFlags(modules, { include: ["safe"] }).map((m) => m.id)).toEqual(["ct", "keyed", "probe"])
    expect(selectByFlags(modules, { include: ["active", "safe"] }).map((m) => m.id)).toEqual(["probe"])
  })
})
