import { describe, expect, it } from "@effect/vitest"
import { builtinFolder, loadFolder, parse } from "@mirage/runtime/monitoring/correlation/RuleFile"
import { Effect, Either } from "effect"
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"

const good = `id: exposed_ssh
version: 1
meta:
  name: SSH reachable
  description: >
    An SSH port answers from the Internet.
  risk: MEDIUM
collections:
  - collect:
      - method: exact
        field: type
        value: OPEN_PORT
      - method: regex
        field: data
        value:
          - '.*:22$'
          - 'not 10\\..*'
aggregation:
  field: data
analysis:
  - method: threshold
    field: data
    minimum: 1
headline: "SSH reachable: {data}"
`

const refusal = (text: string, file?: string) => {
  const parsed = parse(text, file)
  if (Either.isRight(parsed)) throw new Error("expected a refusal")
  return { line: parsed.left.line, reason: parsed.left.reason, message: parsed.left.message }
}

describe("correlation rule files", () => {
  it("a rule in SpiderFoot's format decodes, with its defaults", () => {
    const rule = Either.getOrThrow(parse(good, "exposed_ssh.yaml"))
    expect(rule.id).toBe("exposed_ssh")
    expect(rule.meta.risk).toBe("MEDIUM")
    expect(rule.collections[0]!.collect).toHaveLength(2)
    expect(rule.analysis).toEqual([
      { method: "threshold", field: "data", minimum: 1, count_unique_only: false }
    ])
  })

  it("a YAML syntax error is refused with its line", () => {
    const broken = refusal(good.replace("  risk: MEDIUM", "  risk: MEDIUM: HIGH"))
    expect(broken.line).toBe(7)
    expect(broken.reason).toContain("mapping")
  })

  it("a document that is no mapping is refused in one sentence, not with the whole rule schema", () => {
    for (const text of ["is", "- a\n- b", "42"]) {
      expect(refusal(text)).toMatchObject({
        line: 1,
        reason: "a rule is a YAML mapping with id, version, meta, collections and headline"
      })
    }
  })

  it("a field that does not fit is refused with its line and what is wrong", () => {
    const risk = refusal(good.replace("risk: MEDIUM", "risk: SEVERE"))
    expect(risk.line).toBe(7)
    expect(risk.reason).toMatch(/^meta\.risk: /)
    expect(risk.reason).toContain("SEVERE")
    const field = refusal(good.replace("field: data\n        value:", "field: body\n        value:"))
    expect(field.line).toBe(14)
    expect(field.reason).toContain("not a field: body")
    const pattern = refusal(good.replace("'.*:22$'", () => "'.*:(22$'"))
    expect(pattern.line).toBe(13)
    expect(pattern.reason).toContain("not a regular expression")
    const unknown = refusal(good.replace("aggregation:", "aggregate:"))
    expect(unknown.line).toBe(18)
    expect(unknown.reason).toContain("aggregate")
    const version = refusal(good.replace("version: 1", "version: 2"))
    expect(version.line).toBe(2)
  })

  it("a missing section is refused at its parent, rules that cannot work at the top", () => {
    const noHeadline = refusal(good.replace(/headline: .*\n/, ""))
    expect(noHeadline.reason).toContain("headline")
    expect(noHeadline.line).toBe(1)
    const outlier = refusal(
      good.replace(/aggregation:\n {2}field: data\n/, "").replace(
        /analysis:[\s\S]*minimum: 1\n/,
        "analysis:\n  - method: outlier\n    maximum_percent: 10\n"
      )
    )
    expect(outlier.reason).toContain("outlier needs an aggregation")
    expect(refusal(good.replace("{data}", "{body}")).reason).toContain("headline: {body} is not a field")
  })

  it("a file's rule id must be its name, and the message names the file", () => {
    const wrong = refusal(good, "ssh.yaml")
    expect(wrong.line).toBe(1)
    expect(wrong.message).toBe("ssh.yaml:1: id: the rule id exposed_ssh must be the file's name, ssh")
  })

  it.effect("Mirage's own rules all load: twenty or more, each id once", () =>
    Effect.gen(function*() {
      const rules = yield* loadFolder(builtinFolder)
      expect(rules.length).toBeGreaterThanOrEqual(20)
      expect(new Set(rules.map((rule) => rule.id)).size).toBe(rules.length)
      expect(new Set(rules.map((rule) => rule.meta.risk))).toEqual(new Set(["INFO", "LOW", "MEDIUM", "HIGH"]))
    }))

  it.effect("a folder with one malformed file is refused, naming the file and line", () =>
    Effect.gen(function*() {
      const folder = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "mirage-rules-")))
      yield* Effect.promise(() => writeFile(join(folder, "exposed_ssh.yaml"), good))
      yield* Effect.promise(() =>
        writeFile(
          join(folder, "bad.yaml"),
          good.replace("id: exposed_ssh", "id: bad").replace("method: exact", "method: fuzzy")
        )
      )
      const error = yield* Effect.flip(loadFolder(folder))
      expect(error.file).toBe(join(folder, "bad.yaml"))
      expect(error.line).toBe(10)
    }))
})
