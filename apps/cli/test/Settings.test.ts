/**
 * One configuration: every variable any Mirage process reads is declared once, in an area's `Settings.ts`, and the
 * README's table is those declarations. `mirage config` prints each effective value, secrets redacted.
 */
import { describe, expect, it } from "@effect/vitest"
import { declarations, effective } from "@mirage/cli/SettingsCatalog"
import { isDeclared } from "@mirage/runtime/platform/Setting"
import { withTable } from "@mirage/runtime/platform/SettingsTable"
import { ConfigProvider, Effect } from "effect"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"

const root = new URL("../../../", import.meta.url).pathname

/** The TypeScript sources of every package and app (production code, the dev entries, the fixture world). */
const sources = (): ReadonlyArray<string> => {
  const found: Array<string> = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry)
      if (entry === "node_modules" || entry === "test" || entry === "bench") continue
      if (statSync(path).isDirectory()) walk(path)
      else if (path.endsWith(".ts")) found.push(path)
    }
  }
  for (const top of ["packages", "apps"]) walk(join(root, top))
  return found
}

const variable = /["'`]((?:MIRAGE|OTEL)_[A-Z0-9_]+|DATABASE_URL|REDIS_URL|MONGODB_URL|PORT|HOST)["'`]/g
const directRead = /Config\.(?:string|integer|number|boolean|duration|redacted|secret|url|literal\([^)]*\))\(\s*["'`]/

describe("settings", () => {
  it("the README's configuration table is the declarations'", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    expect(withTable(readme, declarations()), "run `npm run settings:table`").toBe(readme)
  })

  it("every variable named in the sources is declared", () => {
    const undeclared = sources().flatMap((path) =>
      [...readFileSync(path, "utf8").matchAll(variable)]
        .map((match) => match[1]!)
        .filter((name) => !isDeclared(name))
        .map((name) => `${relative(root, path)}: ${name}`)
    )
    expect(undeclared).toEqual([])
  })

  it("code reads a variable only through its declaration", () => {
    const direct = sources()
      .filter((path) => !/\/Settings?\.ts$/.test(path))
      .filter((path) => directRead.test(readFileSync(path, "utf8")))
      .map((path) => relative(root, path))
    expect(direct).toEqual([])
  })

  it("a declaration has a description and a default to show; each is declared once", () => {
    const all = declarations()
    expect(all.length).toBeGreaterThan(60)
    expect(new Set(all.map((d) => d.name)).size).toBe(all.length)
    for (const declaration of all) {
      expect(declaration.description.length, declaration.name).toBeGreaterThan(10)
      expect(declaration.shownDefault.length, declaration.name).toBeGreaterThan(0)
    }
  })

  it.effect("effective values: set or default, invalid named, secrets never shown", () =>
    Effect.gen(function*() {
      const values = yield* effective.pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([
            ["MIRAGE_LEASE_TTL_MS", "6000"],
            ["MIRAGE_SHARDS", "many"],
            ["DATABASE_URL", "postgres://admin:hunter2@db.internal:5432/mirage"],
            ["MIRAGE_BOOTSTRAP_API_KEY", "mk_secret_value"]
          ])
        ))
      )
      const byName = new Map(values.map((value) => [value.name, value]))
      expect(byName.get("MIRAGE_LEASE_TTL_MS")).toMatchObject({ value: "6000 (6s)", origin: "set" })
      expect(byName.get("MIRAGE_ROUND_MS")).toMatchObject({ value: "500 (500ms)", origin: "default" })
      expect(byName.get("MIRAGE_SHARDS")?.origin).toBe("invalid")
      expect(byName.get("DATABASE_URL")).toMatchObject({ value: "<redacted>", origin: "set" })
      expect(byName.get("MIRAGE_BOOTSTRAP_API_KEY")).toMatchObject({ value: "<redacted>", origin: "set" })
      const printed = JSON.stringify(values)
      expect(printed).not.toContain("hunter2")
      expect(printed).not.toContain("mk_secret_value")
    }))
})
