/** The README's module table is the registry's: regenerate it with `npm run modules:table` when a module changes. */
import { describe, expect, it } from "@effect/vitest"
import { endMarker, startMarker, table, withTable } from "@mirage/modules/ModuleTable"
import { modules } from "@mirage/modules/Registry"
import { readFileSync } from "node:fs"

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8")

describe("the README's module table", () => {
  it("lists every module of the registry, as the registry describes it", () => {
    expect(withTable(readme, modules), "run `npm run modules:table`").toBe(readme)
    const rows = readme.slice(readme.indexOf(startMarker), readme.indexOf(endMarker)).split("\n")
      .filter((line) => line.startsWith("| `"))
    expect(rows).toHaveLength(modules.length)
  })

  it("a row says the module's source, types, flags and whether it needs a key", () => {
    const row = table(modules).split("\n").find((line) => line.startsWith("| `shodan_host` |"))
    expect(row).toBe(
      "| `shodan_host` | Shodan | IP → OPEN_PORT, DOMAIN, TECHNOLOGY, ORGANIZATION, VULNERABILITY, CERTIFICATE | passive, safe, needs-key | required |"
    )
  })
})
