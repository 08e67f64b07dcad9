/** The one scope test of the modules, and no module keeping a copy of its own. */
import { describe, expect, it } from "@effect/vitest"
import { inScope } from "@mirage/modules/Scope"
import { readdirSync, readFileSync } from "node:fs"

const source = new URL("../src/", import.meta.url)

const files = (dir: URL): ReadonlyArray<URL> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(new URL(`${entry.name}/`, dir))
      : entry.name.endsWith(".ts")
      ? [new URL(entry.name, dir)]
      : []
  )

describe("inScope", () => {
  it("is the domain or a name below it, label by label, whatever the case or a trailing dot", () => {
    expect(inScope("example.com", "example.com")).toBe(true)
    expect(inScope("a.b.example.com", "example.com")).toBe(true)
    expect(inScope("WWW.Example.COM.", "example.com")).toBe(true)
    expect(inScope("www.example.com", "Example.com.")).toBe(true)
    expect(inScope("notexample.com", "example.com")).toBe(false)
    expect(inScope("example.com.evil.test", "example.com")).toBe(false)
    expect(inScope("com", "example.com")).toBe(false)
    expect(inScope("example.com", "")).toBe(false)
  })

  it("is the only copy: no module or helper tests `name === domain || name.endsWith(…)` itself", () => {
    const copies = files(source).flatMap((file) => {
      if (file.pathname.endsWith("/src/Scope.ts")) return []
      const text = readFileSync(file, "utf8")
      const found = /endsWith\(`\.\$\{/.test(text) || /===\s*[\w.]+\s*\|\|\s*[\w.]+\.endsWith\(/.test(text)
      return found ? [file.pathname.slice(file.pathname.indexOf("/src/"))] : []
    })
    expect(copies).toEqual([])
  })
})
