/**
 * fast-check arbitraries from the JSON Schemas of an OpenAPI document: values a schema accepts, and values it
 * refuses (one thing broken in an otherwise valid value), so the document's claims can be checked against the
 * server. Covers what the generator emits: `$ref` (with sibling constraints), `allOf`, `anyOf`/`oneOf`, `enum`,
 * objects (required, additionalProperties, patternProperties), arrays, strings (pattern, format, lengths) and
 * numbers (bounds).
 */
import { FastCheck as fc } from "effect"

export type JsonSchema = Readonly<Record<string, unknown>>

const record = (
  u: unknown
): JsonSchema => (typeof u === "object" && u !== null && !Array.isArray(u) ? u as JsonSchema : {})
const schemas = (u: unknown): ReadonlyArray<JsonSchema> => (Array.isArray(u) ? u.map(record) : [])
const number = (u: unknown): number | undefined => (typeof u === "number" ? u : undefined)

/** Long strings are generated up to this length; their bounds are still checked by the invalid values. */
const longest = 40

export interface Generator {
  readonly valid: (schema: JsonSchema) => fc.Arbitrary<unknown>
  readonly invalid: (schema: JsonSchema) => fc.Arbitrary<unknown> | undefined
  /** Values of the right type that break the schema's constraints (what a query string or path can carry). */
  readonly outOfRange: (schema: JsonSchema) => ReadonlyArray<unknown>
  readonly resolve: (schema: JsonSchema) => JsonSchema
}

/** Arbitraries for the schemas of `document` (its `components.schemas` resolve `$ref`s). */
export const make = (document: JsonSchema): Generator => {
  const components = record(record(document["components"])["schemas"])

  /** The schema a `$ref` or a one-member `allOf` stands for, with the constraints written beside it. */
  const resolve = (schema: JsonSchema): JsonSchema => {
    const { $ref, allOf, ...rest } = schema
    if (typeof $ref === "string") {
      return resolve({ ...components[$ref.replace("#/components/schemas/", "")] as JsonSchema, ...rest })
    }
    const all = schemas(allOf)
    if (all.length > 0) return resolve(all.reduce<JsonSchema>((out, s) => ({ ...resolve(s), ...out }), rest))
    return schema
  }

  const string = (schema: JsonSchema): fc.Arbitrary<string> => {
    const min = number(schema["minLength"]) ?? 0
    const max = Math.min(number(schema["maxLength"]) ?? longest, Math.max(min, longest))
    if (schema["format"] === "uuid") return fc.uuid()
    if (schema["format"] === "date-time") {
      return fc.date({
        min: new Date("0001-01-01T00:00:00Z"),
        max: new Date("9999-12-31T23:59:59Z"),
        noInvalidDate: true
      })
        .map((date) => date.toISOString())
    }
    const sized = fc.string({ minLength: min, maxLength: max })
    if (typeof schema["pattern"] === "string") {
      // A loose pattern (`^[^\u0000]*$`) is met by strings of the right length; a strict one is generated from.
      const pattern = new RegExp(schema["pattern"])
      if (fc.sample(sized, { numRuns: 20, seed: 1 }).some((s) => pattern.test(s))) {
        return sized.filter((s) => pattern.test(s))
      }
      const lengthOk = (s: string) => s.length >= min && s.length <= (number(schema["maxLength"]) ?? Infinity)
      return fc.stringMatching(pattern).filter(lengthOk)
    }
    return sized
  }

  const numeric = (schema: JsonSchema, integer: boolean): fc.Arbitrary<number> => {
    const min = number(schema["minimum"]) ?? -1e6
    const max = number(schema["maximum"]) ?? 1e6
    return integer
      ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
      : fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
  }

  const object = (schema: JsonSchema): fc.Arbitrary<unknown> => {
    const properties = record(schema["properties"])
    const required = new Set(Array.isArray(schema["required"]) ? schema["required"] as Array<string> : [])
    const names = Object.keys(properties)
    const fixed = fc.record(
      Object.fromEntries(names.map((name) => [name, valid(record(properties[name]))])),
      { requiredKeys: names.filter((name) => required.has(name)) }
    )
    const open = Object.values(record(schema["patternProperties"]))[0]
    if (open === undefined) return fixed
    // A map such as a module's configuration: keys of letters, any JSON value that the open schema allows.
    const extra = fc.dictionary(fc.stringMatching(/^[a-z][a-z_]{0,15}$/), valid(record(open)), { maxKeys: 3 })
    return fc.tuple(extra, fixed).map(([more, known]) => ({ ...more, ...known as object }))
  }

  const valid = (raw: JsonSchema): fc.Arbitrary<unknown> => {
    const schema = resolve(raw)
    if (Array.isArray(schema["enum"])) return fc.constantFrom(...schema["enum"] as Array<unknown>)
    const alternatives = [...schemas(schema["anyOf"]), ...schemas(schema["oneOf"])]
    if (alternatives.length > 0) return fc.oneof(...alternatives.map(valid))
    switch (schema["type"]) {
      case "string":
        return string(schema)
      case "integer":
        return numeric(schema, true)
      case "number":
        return numeric(schema, false)
      case "boolean":
        return fc.boolean()
      case "null":
        return fc.constant(null)
      case "array":
        return fc.array(valid(record(schema["items"])), {
          minLength: number(schema["minItems"]) ?? 0,
          maxLength: Math.min(number(schema["maxItems"]) ?? 3, Math.max(number(schema["minItems"]) ?? 0, 3))
        })
      case "object":
        return object(schema)
      default:
        // No type: any JSON value.
        return fc.jsonValue({ maxDepth: 2 })
    }
  }

  /** JSON types a schema admits (all of them when it says nothing). */
  const types = (raw: JsonSchema): ReadonlySet<string> => {
    const schema = resolve(raw)
    if (Array.isArray(schema["enum"])) return new Set((schema["enum"] as Array<unknown>).map(jsonType))
    const alternatives = [...schemas(schema["anyOf"]), ...schemas(schema["oneOf"])]
    if (alternatives.length > 0) return new Set(alternatives.flatMap((s) => [...types(s)]))
    const type = schema["type"]
    if (type === "integer") return new Set(["integer", "number"])
    return typeof type === "string"
      ? new Set([type])
      : new Set(["string", "integer", "number", "boolean", "null", "array", "object"])
  }

  /** Values of the right JSON type that break the schema's bounds, pattern, format or enumeration. */
  const outOfRange = (raw: JsonSchema): Array<unknown> => {
    const schema = resolve(raw)
    const out: Array<unknown> = []
    const enumerated = schema["enum"]
    if (Array.isArray(enumerated) && enumerated.every((v) => typeof v === "string")) out.push("not-one-of-these")
    const [min, max] = [number(schema["minimum"]), number(schema["maximum"])]
    if (min !== undefined) out.push(min - 1)
    if (max !== undefined) out.push(max + 1)
    if (schema["type"] === "integer") out.push(1.5)
    const [minLength, maxLength] = [number(schema["minLength"]), number(schema["maxLength"])]
    if (minLength !== undefined && minLength > 0) out.push("")
    if (maxLength !== undefined) out.push("a".repeat(maxLength + 1))
    if (typeof schema["pattern"] === "string" || schema["format"] === "uuid") {
      const pattern = typeof schema["pattern"] === "string" ? new RegExp(schema["pattern"]) : /^[0-9a-f-]{36}$/i
      out.push(...["not a match!", "Ünïcode", "a b"].filter((s) => !pattern.test(s)))
    }
    if (schema["format"] === "date-time") out.push("not-a-time", "2025-13-45T99:00:00Z")
    const minItems = number(schema["minItems"])
    if (minItems !== undefined && minItems > 0) out.push([])
    return out
  }

  /** Values of a JSON type the schema does not admit. */
  const wrongTypes = (raw: JsonSchema): Array<unknown> => {
    const allowed = types(raw)
    const samples: ReadonlyArray<readonly [string, unknown]> = [
      ["string", "x"],
      ["number", 2.5],
      ["boolean", true],
      ["null", null],
      ["array", []],
      ["object", {}]
    ]
    return samples.filter(([type]) => !allowed.has(type)).map(([, value]) => value)
  }

  /**
   * An otherwise valid value with one thing wrong: the whole value, a property's value anywhere in it, a required
   * property left out, or a property a closed object does not have.
   */
  const invalid = (raw: JsonSchema): fc.Arbitrary<unknown> | undefined => {
    const schema = resolve(raw)
    const whole = [...wrongTypes(schema), ...outOfRange(schema)]
    const options: Array<fc.Arbitrary<unknown>> = whole.length > 0 ? [fc.constantFrom(...whole)] : []
    if (schema["type"] === "object") {
      const properties = record(schema["properties"])
      const required = Array.isArray(schema["required"]) ? schema["required"] as Array<string> : []
      const base = valid(schema) as fc.Arbitrary<Record<string, unknown>>
      for (const name of Object.keys(properties)) {
        const wrong = invalid(record(properties[name]))
        if (wrong !== undefined) options.push(fc.tuple(base, wrong).map(([value, bad]) => ({ ...value, [name]: bad })))
      }
      for (const name of required) {
        options.push(base.map(({ [name]: _, ...rest }) => rest))
      }
      if (schema["additionalProperties"] === false && schema["patternProperties"] === undefined) {
        options.push(base.map((value) => ({ ...value, not_a_field: 1 })))
      }
    }
    return options.length === 0 ? undefined : fc.oneof(...options)
  }

  return { valid, invalid, outOfRange, resolve }
}

const jsonType = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "array"
    : typeof value === "number"
    ? Number.isInteger(value) ? "integer" : "number"
    : typeof value
