/**
 * The README's module table is the registry's: regenerate it with `npm run modules:table` when a module changes. Its
 * "Adding a source" names the kinds by their exports and the files a new source touches.
 */
import { describe, expect, it } from "@effect/vitest"
import * as DnsSource from "@mirage/modules/kinds/DnsSource"
import * as PagedApi from "@mirage/modules/kinds/PagedApi"
import * as Scraper from "@mirage/modules/kinds/Scraper"
import * as SubdomainSource from "@mirage/modules/kinds/SubdomainSource"
import { endMarker, startMarker, table, withTable } from "@mirage/modules/ModuleTable"
import { modules } from "@mirage/modules/Registry"
import { existsSync, readFileSync } from "node:fs"

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

  it("\"Adding a source\" names the kinds by their exports, and the sandbox stand-in step names real files", () => {
    const section = readme.slice(readme.indexOf("### Adding a source"), readme.indexOf("## Development"))
    const kindsBullet = section.split("\n- ")[1] ?? ""
    // Each kind is named as "`kind` (what it is for)" or "`kind` for …".
    const named = Array.from(kindsBullet.matchAll(/`([a-z][A-Za-z]+)`(?= \(| for)/g), (match) => match[1]!)
    expect(named).toEqual(["pagedApi", "subdomainSource", "scraper", "dnsModule"])
    const exported: Record<string, unknown> = { ...PagedApi, ...SubdomainSource, ...Scraper, ...DnsSource }
    for (const name of named) expect(typeof exported[name], name).toBe("function")
    expect(section).toContain("stand-in to the sandbox world")
    const root = new URL("../../../", import.meta.url)
    const files = Array.from(section.matchAll(/`(packages\/[^`]+\.ts)`/g), (match) => match[1]!)
    expect(files).toEqual(expect.arrayContaining([
      "packages/testkit/src/PassiveSources.ts",
      "packages/modules/test/sandbox_passive.test.ts"
    ]))
    for (const file of files) expect(existsSync(new URL(file, root)), file).toBe(true)
  })
})
