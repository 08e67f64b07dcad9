/**
 * A strict reader of the Prometheus text exposition format (0.0.4) for tests: every line must be a
 * HELP, a TYPE or a sample of a family declared before it; the samples come back by series.
 */
import { Data, Effect } from "effect"

export class InvalidExposition extends Data.TaggedError("InvalidExposition")<{
  readonly line: number
  readonly text: string
  readonly reason: string
}> {}

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Exposition {
  readonly help: ReadonlyMap<string, string>
  readonly types: ReadonlyMap<string, string>
  readonly samples: ReadonlyArray<Sample>
}

const metricName = "[a-zA-Z_:][a-zA-Z0-9_:]*"
const helpLine = new RegExp(`^# HELP (${metricName}) (.*)$`)
const typeLine = new RegExp(`^# TYPE (${metricName}) (counter|gauge|histogram|summary|untyped)$`)
const sampleLine = new RegExp(`^(${metricName})(\\{(.*)\\})? (NaN|[+-]Inf|[-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)$`)
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"(,|$)/y

const parseLabels = (text: string): Record<string, string> | undefined => {
  const labels: Record<string, string> = {}
  labelPair.lastIndex = 0
  while (labelPair.lastIndex < text.length) {
    const match = labelPair.exec(text)
    if (match === null) return undefined
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c))
  }
  return labels
}

const familyOf = (name: string, types: ReadonlyMap<string, string>) => {
  if (types.has(name)) return name
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined
    if (base !== undefined && types.get(base) === "histogram") return base
  }
  return undefined
}

export const parse = (text: string): Effect.Effect<Exposition, InvalidExposition> =>
  Effect.gen(function*() {
    const help = new Map<string, string>()
    const types = new Map<string, string>()
    const samples: Array<Sample> = []
    const lines = text.split("\n")
    if (lines.at(-1) === "") lines.pop()
    for (const [index, line] of lines.entries()) {
      const fail = (reason: string) => new InvalidExposition({ line: index + 1, text: line, reason })
      const h = helpLine.exec(line)
      if (h !== null) {
        help.set(h[1]!, h[2]!)
        continue
      }
      const t = typeLine.exec(line)
      if (t !== null) {
        if (types.has(t[1]!)) return yield* fail("TYPE given twice")
        types.set(t[1]!, t[2]!)
        continue
      }
      const s = sampleLine.exec(line)
      if (s === null) return yield* fail("neither HELP, TYPE nor a sample")
      const labels = s[3] === undefined ? {} : parseLabels(s[3])
      if (labels === undefined) return yield* fail("malformed labels")
      if (familyOf(s[1]!, types) === undefined) return yield* fail("sample without a TYPE before it")
      const raw = s[4]!
      const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw)
      samples.push({ name: s[1]!, labels, value })
    }
    return { help, types, samples }
  })

/** The exposition a `/metrics` URL answers, read strictly. */
export const scrape = (url: string) =>
  Effect.tryPromise(() => fetch(url).then((response) => response.text())).pipe(Effect.flatMap(parse))

/** The sum of the samples of `name` whose labels include `match`. */
export const total = (
  exposition: Exposition,
  name: string,
  match: Readonly<Record<string, string>> = {}
): number =>
  exposition.samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)
