/**
 * A correlation rule in SpiderFoot's published YAML format (id, version, meta, collections of `collect` method
 * blocks, aggregation, analysis, headline), as decoded from the parsed document. Mirage's fields are the result's
 * `type`, `module`, `data` and, beyond SpiderFoot's, `meta.<key>` (a value of the result's metadata), each also under
 * `source.` (the result it was found from) and `child.` (the results found from it).
 */
import { Either, Schema } from "effect"

export const RiskLevel = Schema.Literal("INFO", "LOW", "MEDIUM", "HIGH")
export type RiskLevel = typeof RiskLevel.Type

const fieldPattern = /^(?:(source|child)\.)?(type|module|data|meta\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)$/

export const Field = Schema.String.pipe(Schema.filter((field) =>
  fieldPattern.test(field) ||
  `not a field: ${field} (one of type, module, data, meta.<key>, optionally prefixed with source. or child.)`
))

/** A field split into where it is read (the result itself, its source, its children) and what is read. */
export interface FieldPath {
  readonly relation: "self" | "source" | "child"
  readonly name: string
}

export const fieldPath = (field: string): FieldPath => {
  const match = fieldPattern.exec(field)
  return { relation: (match?.[1] as "source" | "child" | undefined) ?? "self", name: match?.[2] ?? field }
}

const Scalar = Schema.Union(Schema.String, Schema.Number, Schema.Boolean)
const Values = Schema.Union(Scalar, Schema.NonEmptyArray(Scalar))

/** The patterns of a method block as strings: a YAML `3389` or `true` is the text it reads as. */
export const patternsOf = (value: typeof Values.Type): ReadonlyArray<string> =>
  (Array.isArray(value) ? value : [value]).map(String)

/** A pattern prefixed with `not ` excludes what it matches, as in SpiderFoot. */
export const splitNegation = (pattern: string): { readonly negated: boolean; readonly text: string } =>
  pattern.startsWith("not ") ? { negated: true, text: pattern.slice(4) } : { negated: false, text: pattern }

const compiles = (pattern: string): Either.Either<RegExp, string> => {
  try {
    return Either.right(new RegExp(`^(?:${splitNegation(pattern).text})`))
  } catch (error) {
    return Either.left(`not a regular expression: ${pattern} (${error instanceof Error ? error.message : "invalid"})`)
  }
}

export const ExactMethod = Schema.Struct({ method: Schema.Literal("exact"), field: Field, value: Values })

export const RegexMethod = Schema.Struct({ method: Schema.Literal("regex"), field: Field, value: Values }).pipe(
  Schema.filter((block) => {
    for (const pattern of patternsOf(block.value)) {
      const compiled = compiles(pattern)
      if (Either.isLeft(compiled)) return compiled.left
    }
    return true
  })
)

/** Mirage's: a numeric field between `minimum` and `maximum` (e.g. a CVSS score). */
export const RangeMethod = Schema.Struct({
  method: Schema.Literal("range"),
  field: Field,
  minimum: Schema.optional(Schema.Number),
  maximum: Schema.optional(Schema.Number)
}).pipe(
  Schema.filter((block) =>
    block.minimum !== undefined || block.maximum !== undefined || "a range needs a minimum, a maximum or both"
  )
)

/** Mirage's: a date field that falls before `days` days from now (so also every past date: an expired certificate). */
export const WithinDaysMethod = Schema.Struct({
  method: Schema.Literal("within_days"),
  field: Field,
  value: Schema.Number.pipe(Schema.between(-36_500, 36_500))
})

export const MethodBlock = Schema.Union(ExactMethod, RegexMethod, RangeMethod, WithinDaysMethod)
export type MethodBlock = typeof MethodBlock.Type

export const Collection = Schema.Struct({
  collect: Schema.NonEmptyArray(MethodBlock).pipe(
    Schema.filter((blocks) =>
      fieldPath(blocks[0].field).relation === "self" ||
      "the first method of a collect block reads the result itself: no source. or child. prefix"
    )
  )
})
export type Collection = typeof Collection.Type

export const Threshold = Schema.Struct({
  method: Schema.Literal("threshold"),
  field: Field,
  count_unique_only: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  minimum: Schema.optional(Schema.NonNegativeInt),
  maximum: Schema.optional(Schema.NonNegativeInt)
}).pipe(Schema.filter((block) =>
  block.minimum === undefined && block.maximum === undefined
    ? "a threshold needs a minimum, a maximum or both"
    : block.minimum === undefined || block.maximum === undefined || block.minimum <= block.maximum ||
      "a threshold's minimum is above its maximum"
))

export const Outlier = Schema.Struct({
  method: Schema.Literal("outlier"),
  maximum_percent: Schema.Number.pipe(Schema.between(0, 100)),
  noisy_percent: Schema.optionalWith(Schema.Number.pipe(Schema.between(0, 100)), { default: () => 10 })
})

export const FirstCollectionOnly = Schema.Struct({ method: Schema.Literal("first_collection_only"), field: Field })

export const MatchAllToFirstCollection = Schema.Struct({
  method: Schema.Literal("match_all_to_first_collection"),
  match_method: Schema.Literal("exact", "contains", "subnet")
})

export const Analysis = Schema.Union(Threshold, Outlier, FirstCollectionOnly, MatchAllToFirstCollection)
export type Analysis = typeof Analysis.Type

const placeholder = /\{([^{}]*)\}/g

const Headline = Schema.Union(
  Schema.String,
  Schema.Struct({
    text: Schema.String,
    publish_collections: Schema.optional(Schema.Union(Schema.NonNegativeInt, Schema.Array(Schema.NonNegativeInt)))
  })
)

export const RuleId = Schema.String.pipe(
  Schema.pattern(/^[a-z0-9][a-z0-9_]{0,63}$/, { message: () => "a rule id is 1-64 of a-z 0-9 _" })
)

const RuleFields = Schema.Struct({
  id: RuleId,
  version: Schema.Literal(1),
  meta: Schema.Struct({
    name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)),
    description: Schema.String.pipe(Schema.maxLength(4000)),
    risk: RiskLevel
  }),
  collections: Schema.NonEmptyArray(Collection),
  aggregation: Schema.optional(Schema.Struct({ field: Field })),
  analysis: Schema.optional(Schema.Array(Analysis)),
  headline: Headline
})

/** What a decoded rule must also satisfy across its sections; a reason for the first thing that does not. */
const coherent = (rule: typeof RuleFields.Type): true | string => {
  const text = typeof rule.headline === "string" ? rule.headline : rule.headline.text
  for (const [, field] of text.matchAll(placeholder)) {
    if (!fieldPattern.test(field!)) return `headline: {${field}} is not a field`
  }
  for (const analysis of rule.analysis ?? []) {
    if ((analysis.method === "outlier" || analysis.method === "match_all_to_first_collection") && !rule.aggregation) {
      return `analysis: ${analysis.method} needs an aggregation`
    }
    if (
      (analysis.method === "first_collection_only" || analysis.method === "match_all_to_first_collection") &&
      rule.collections.length < 2
    ) return `analysis: ${analysis.method} needs two collections or more`
  }
  return true
}

export const Rule = RuleFields.pipe(Schema.filter(coherent))
export type Rule = typeof Rule.Type

export const headlineText = (rule: Rule): string =>
  typeof rule.headline === "string" ? rule.headline : rule.headline.text

/** The collections whose results a finding lists as its evidence (all of them unless the headline says). */
export const publishedCollections = (rule: Rule): ReadonlySet<number> | undefined => {
  if (typeof rule.headline === "string" || rule.headline.publish_collections === undefined) return undefined
  const published = rule.headline.publish_collections
  return new Set(typeof published === "number" ? [published] : published)
}

/** The fields a headline names, each `{field}` once, in order. */
export const headlineFields = (rule: Rule): ReadonlyArray<string> =>
  Array.from(new Set(Array.from(headlineText(rule).matchAll(placeholder), (match) => match[1]!)))

/**
 * Whether the rule's findings can only be added to as results arrive, so that each may be reported as soon as it
 * holds: a threshold with only a minimum, over filters that no later result can undo (a `not` on a source or child).
 * Any other rule (a maximum, an outlier, a first-collection analysis) is settled once the scan has ended.
 */
export const isMonotone = (rule: Rule): boolean =>
  (rule.analysis ?? []).every((analysis) => analysis.method === "threshold" && analysis.maximum === undefined) &&
  rule.collections.every((collection) =>
    collection.collect.every((block) =>
      fieldPath(block.field).relation === "self" ||
      !("value" in block) || typeof block.value === "number" ||
      patternsOf(block.value).every((pattern) => !splitNegation(pattern).negated)
    )
  )

/**
 * The regular expression of a `regex` pattern: anchored at the start of the value, as Python's `re.match`. A rule has
 * been decoded before it is evaluated, so its patterns compile; one that would not matches nothing.
 */
export const compilePattern = (pattern: string): RegExp => Either.getOrElse(compiles(pattern), () => /(?!)/)
