/**
 * One configuration: every variable any Mirage process or development tool reads is declared once, in an area's
 * `Settings.ts`, and the README's table is those declarations. `mirage config` prints each effective value, secrets
 * redacted.
 */
import { describe, expect, it } from "@effect/vitest"
import { declarations, effective } from "@mirage/cli/SettingsCatalog"
import { isDeclared } from "@mirage/runtime/platform/Setting"
import { withTable } from "@mirage/runtime/platform/SettingsTable"
import { ConfigProvider, Effect } from "effect"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"

const root = new URL("../../../", import.meta.url).pathname

const skipped = new Set(["node_modules", "dist", "coverage", "test-output", ".mirage", ".git"])
const sourceName = /\.(?:[cm]?[jt]sx?|sh|ya?ml)$|Dockerfile$/

/**
 * Every file a setting can be read or set in: the TypeScript and JavaScript of the packages, apps and infra
 * (production code, tests, benches, dev entries, infra scripts), the shell scripts (by name or by `#!`), the
 * Dockerfiles and the deployment manifests.
 */
const everySource = (): ReadonlyArray<string> => {
  const found: Array<string> = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (skipped.has(entry)) continue
      const path = join(dir, entry)
      if (statSync(path).isDirectory()) walk(path)
      else if (sourceName.test(entry) || readFileSync(path).subarray(0, 2).toString() === "#!") found.push(path)
    }
  }
  for (const top of ["packages", "apps", "infra", ".ci"]) walk(join(root, top))
  return found
}

/** The TypeScript of production code, the dev entries, the benches and infra: what must read through declarations. */
const code = () => everySource().filter((path) => path.endsWith(".ts") && !/\/test\//.test(relative(root, path)))

const name = String.raw`(?:MIRAGE|OTEL)_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL|REDIS_URL|MONGODB_URL|PORT|HOST`
const end = String.raw`(?![A-Za-z0-9_])`

/** The ways a variable is named where it is read or set; each captures the name. */
const forms: ReadonlyArray<RegExp> = [
  // Quoted: `Config.string("NAME")`, `process.env["NAME"]`, an environment object's quoted key.
  new RegExp(`["'\`](${name})["'\`]`, "g"),
  // process.env.NAME
  new RegExp(String.raw`process\.env\.(${name})${end}`, "g"),
  // ${NAME}, ${NAME:-default} (shell, Compose) and $NAME (shell).
  new RegExp(String.raw`\$\{?(${name})${end}`, "g"),
  // NAME=value: a shell assignment or prefix, a Dockerfile ENV.
  new RegExp(String.raw`(?<![A-Za-z0-9_$.])(${name})=`, "g"),
  // NAME: as a key (YAML maps, environment objects).
  new RegExp(String.raw`^[ \t]*(?:-[ \t]*)?(${name}):`, "gm"),
  // name: NAME and key: NAME (Kubernetes env entries and secret or config map references).
  new RegExp(String.raw`\b(?:name|key):[ \t]*["']?(${name})["']?[ \t]*$`, "gm")
]

/** Every variable the text names in one of the forms. */
const namesIn = (
  text: string
): ReadonlyArray<string> => [...new Set(forms.flatMap((form) => [...text.matchAll(form)].map((match) => match[1]!)))]

const directRead =
  /Config\.(?:string|integer|number|boolean|duration|redacted|secret|url|literal\([^)]*\))\(\s*["'`]|process\.env(?:\.|\[)/

describe("settings", () => {
  it("the README's configuration table is the declarations'", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    expect(withTable(readme, declarations()), "run `npm run settings:table`").toBe(readme)
  })

  it("every variable named in any source is declared", () => {
    const sources = everySource()
    // Not vacuous: the walk reaches every kind of source.
    for (const kind of ["infra/services.sh", "apps/node/bench/main.ts", "apps/node/dev/start.ts", "infra/migrate.ts"]) {
      expect(sources.map((path) => relative(root, path))).toContain(kind)
    }
    const undeclared = sources.flatMap((path) =>
      namesIn(readFileSync(path, "utf8"))
        .filter((variable) => !isDeclared(variable))
        .map((variable) => `${relative(root, path)}: ${variable}`)
    )
    expect(undeclared).toEqual([])
  })

  it("a variable is found in each form it is read or set in, and an undeclared one is reported", () => {
    // Built here so that this file names no undeclared variable itself.
    const unknown = ["MIRAGE", "NOT", "DECLARED"].join("_")
    const samples = [
      `Config.string("${unknown}")`,
      `process.env["${unknown}"]`,
      `process.env.${unknown} ?? "1"`,
      `TIMEOUT="\${${unknown}:-60}"`,
      `if [[ -z $${unknown} ]]; then`,
      `${unknown}=1 exec flock`,
      `  ${unknown}: "128"`,
      `- name: ${unknown}`
    ]
    for (const sample of samples) expect(namesIn(sample), sample).toEqual([unknown])
    expect(isDeclared(unknown)).toBe(false)
    // Names that merely contain a setting's name are not one.
    expect(namesIn(`"ERR_MIRAGE_OUT_OF_SCOPE" $REDIS_HOST \${PG_PORT} \`MIRAGE_KEY_\${source}\``)).toEqual([])
  })

  it("a shell script's default for a declared variable is the declared default", () => {
    const shown = new Map(declarations().map((d) => [d.name, d.shownDefault]))
    const defaults = everySource()
      .filter((path) => path.endsWith(".sh"))
      .flatMap((
        path
      ) => [...readFileSync(path, "utf8").matchAll(new RegExp(String.raw`\$\{(${name}):-([^}$]+)\}`, "g"))])
      .map((match) => [match[1]!, match[2]!] as const)
    expect(defaults.map(([variable]) => variable)).toContain("DATABASE_URL")
    for (const [variable, value] of defaults) {
      const declared = shown.get(variable) ?? ""
      expect(declared === value || declared.startsWith(`${value} (`), `${variable}: ${value} vs ${declared}`).toBe(true)
    }
  })

  it("code reads a variable only through its declaration", () => {
    const direct = code()
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
