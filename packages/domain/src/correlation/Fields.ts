/**
 * What a rule's fields read from a result and its neighbours, and whether a method block matches it. Pure: the
 * results of a scan are given as an index, and the time (for `within_days`) as an argument.
 */
import { compilePattern, fieldPath, patternsOf, splitNegation } from "./Rule.js"
import type { MethodBlock } from "./Rule.js"

/** A result as correlation sees it: what it is, which module found it, its metadata and what it was found from. */
export interface Element {
  readonly hash: string
  readonly type: string
  readonly module: string
  readonly data: string
  readonly metadata: Readonly<Record<string, unknown>>
  /** The hash of the result (or the scan's target) this one was found from. */
  readonly parent: string | null
}

/** The results known so far, by hash, and who was found from whom. */
export interface Index {
  readonly elements: ReadonlyMap<string, Element>
  readonly children: ReadonlyMap<string, ReadonlySet<string>>
}

const textOf = (value: unknown): ReadonlyArray<string> => {
  if (value === undefined || value === null) return []
  if (Array.isArray(value)) return value.flatMap(textOf)
  if (typeof value === "object") return [JSON.stringify(value)]
  return [String(value)]
}

const read = (element: Element, name: string): ReadonlyArray<string> => {
  if (name === "type") return [element.type]
  if (name === "module") return [element.module]
  if (name === "data") return [element.data]
  let value: unknown = element.metadata
  for (const key of name.slice("meta.".length).split(".")) {
    value = typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)[key]
      : undefined
  }
  return textOf(value)
}

/** The values of a field for a result: one for its own type, module or data; those of its source or of each child. */
export const valuesOf = (index: Index, element: Element, field: string): ReadonlyArray<string> => {
  const path = fieldPath(field)
  if (path.relation === "self") return read(element, path.name)
  if (path.relation === "source") {
    const source = element.parent === null ? undefined : index.elements.get(element.parent)
    return source === undefined ? [] : read(source, path.name)
  }
  const values: Array<string> = []
  for (const child of index.children.get(element.hash) ?? []) {
    const found = index.elements.get(child)
    if (found !== undefined) values.push(...read(found, path.name))
  }
  return values
}

/** A method block made ready to test values: its patterns compiled once. */
export type Matcher = (values: ReadonlyArray<string>, now: number) => boolean

const dayMs = 86_400_000

export const matcher = (block: MethodBlock): Matcher => {
  switch (block.method) {
    case "range":
      return (values) =>
        values.some((value) => {
          const number = Number(value)
          return value.trim() !== "" && Number.isFinite(number) &&
            (block.minimum === undefined || number >= block.minimum) &&
            (block.maximum === undefined || number <= block.maximum)
        })
    case "within_days":
      return (values, now) =>
        values.some((value) => {
          const at = Date.parse(value)
          return !Number.isNaN(at) && at <= now + block.value * dayMs
        })
    case "exact":
    case "regex": {
      const patterns = patternsOf(block.value).map(splitNegation)
      const test = (text: string): (value: string) => boolean => {
        if (block.method === "exact") return (value) => value === text
        const regex = compilePattern(text)
        return (value) => regex.test(value)
      }
      const positive = patterns.filter((p) => !p.negated).map((p) => test(p.text))
      const negative = patterns.filter((p) => p.negated).map((p) => test(p.text))
      // Some value matches a pattern (when there are plain ones), and none matches a `not` one.
      return (values) =>
        (positive.length === 0 || values.some((value) => positive.some((matches) => matches(value)))) &&
        !values.some((value) => negative.some((matches) => matches(value)))
    }
  }
}
