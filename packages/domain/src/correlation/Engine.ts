/**
 * Incremental evaluation of correlation rules over one scan's results. Each batch updates, for every rule, which
 * results its collections hold and the aggregation groups they fall in; rules whose findings can only grow report a
 * group as soon as it passes, the others when the scan is settled. Feeding results in any chunks and then settling
 * finds what one batch of all of them finds.
 */
import { analyse } from "./Analysis.js"
import type { Groups, Member } from "./Analysis.js"
import { matcher, valuesOf } from "./Fields.js"
import type { Element, Matcher } from "./Fields.js"
import { headlineFields, headlineText, isMonotone, publishedCollections } from "./Rule.js"
import type { Rule } from "./Rule.js"

export type { Element } from "./Fields.js"

/** A group of results that passed a rule: what the finding says, and the results it rests on. */
export interface Finding {
  readonly rule: Rule
  /** The aggregation value the group shares, or the one result's hash when the rule does not aggregate. */
  readonly group: string
  readonly headline: string
  /** The hashes of the group's results, in the order they arrived. */
  readonly evidence: ReadonlyArray<string>
}

interface RuleState {
  readonly rule: Rule
  readonly collections: ReadonlyArray<ReadonlyArray<{ readonly field: string; readonly matches: Matcher }>>
  readonly monotone: boolean
  /** Aggregation key → the members of that group, by hash. */
  readonly groups: Map<string, Map<string, ReadonlyArray<number>>>
  /** Hash → the keys of the groups the result is in. */
  readonly keysOf: Map<string, ReadonlyArray<string>>
  readonly emitted: Set<string>
}

export interface Engine {
  readonly index: {
    readonly elements: Map<string, Element>
    readonly children: Map<string, Set<string>>
  }
  readonly order: Map<string, number>
  readonly rules: ReadonlyArray<RuleState>
}

/** An engine for one scan; its targets are results of module `target` that rules may read as sources. */
export const make = (rules: ReadonlyArray<Rule>): Engine => ({
  index: { elements: new Map(), children: new Map() },
  order: new Map(),
  rules: rules.map((rule) => ({
    rule,
    collections: rule.collections.map((collection) =>
      collection.collect.map((block) => ({ field: block.field, matches: matcher(block) }))
    ),
    monotone: isMonotone(rule),
    groups: new Map(),
    keysOf: new Map(),
    emitted: new Set()
  }))
})

/** Records a finding already reported (e.g. stored before a restart), so that it is not reported again. */
export const markEmitted = (engine: Engine, ruleId: string, group: string): void => {
  for (const state of engine.rules) if (state.rule.id === ruleId) state.emitted.add(group)
}

const collectedBy = (engine: Engine, state: RuleState, element: Element, now: number): ReadonlyArray<number> => {
  const collections: Array<number> = []
  state.collections.forEach((blocks, position) => {
    if (blocks.every((block) => block.matches(valuesOf(engine.index, element, block.field), now))) {
      collections.push(position)
    }
  })
  return collections
}

/** Moves one result into the groups it now belongs to; the keys of every group it joined or left. */
const place = (engine: Engine, state: RuleState, element: Element, now: number): ReadonlyArray<string> => {
  const collections = collectedBy(engine, state, element, now)
  const aggregation = state.rule.aggregation
  const keys = collections.length === 0
    ? []
    : aggregation === undefined
    ? [element.hash]
    : Array.from(new Set(valuesOf(engine.index, element, aggregation.field)))
  const before = state.keysOf.get(element.hash) ?? []
  for (const key of before) {
    if (keys.includes(key)) continue
    const group = state.groups.get(key)
    group?.delete(element.hash)
    if (group?.size === 0) state.groups.delete(key)
  }
  for (const key of keys) {
    let group = state.groups.get(key)
    if (group === undefined) state.groups.set(key, group = new Map())
    group.set(element.hash, collections)
  }
  if (keys.length === 0) state.keysOf.delete(element.hash)
  else state.keysOf.set(element.hash, keys)
  return [...before, ...keys]
}

const membersOf = (engine: Engine, group: ReadonlyMap<string, ReadonlyArray<number>>): ReadonlyArray<Member> =>
  Array.from(group, ([hash, collections]) => ({ element: engine.index.elements.get(hash)!, collections }))
    .sort((a, b) => engine.order.get(a.element.hash)! - engine.order.get(b.element.hash)!)

const render = (engine: Engine, rule: Rule, key: string, members: ReadonlyArray<Member>): string => {
  let text = headlineText(rule)
  const first = members[0]!.element
  for (const field of headlineFields(rule)) {
    // The group's own value where the headline names the aggregation field: the same whenever the group is reported.
    const value = field === rule.aggregation?.field
      ? key
      : Array.from(new Set(valuesOf(engine.index, first, field))).join(", ")
    text = text.split(`{${field}}`).join(value)
  }
  return text
}

/** The findings of the groups that passed and were not reported yet; they count as reported from now on. */
const report = (engine: Engine, state: RuleState, passed: Groups): ReadonlyArray<Finding> => {
  const published = publishedCollections(state.rule)
  const findings: Array<Finding> = []
  for (const [key, members] of passed) {
    if (state.emitted.has(key) || members.length === 0) continue
    state.emitted.add(key)
    const shown = published === undefined
      ? members
      : members.filter((member) => member.collections.some((collection) => published.has(collection)))
    findings.push({
      rule: state.rule,
      group: key,
      headline: render(engine, state.rule, key, members),
      evidence: (shown.length > 0 ? shown : members).map((member) => member.element.hash)
    })
  }
  return findings
}

const groupsOf = (engine: Engine, state: RuleState, keys: Iterable<string>): Groups => {
  const groups = new Map<string, ReadonlyArray<Member>>()
  for (const key of keys) {
    const group = state.groups.get(key)
    if (group !== undefined && group.size > 0 && !groups.has(key)) groups.set(key, membersOf(engine, group))
  }
  return groups
}

/**
 * Adds a batch of results (a scan's targets may come first, as results of module `target`) and returns the findings
 * that now hold for rules that report as results arrive. A result already known is ignored.
 */
export const feed = (engine: Engine, batch: ReadonlyArray<Element>, now: number): ReadonlyArray<Finding> => {
  const { children, elements } = engine.index
  const fresh = batch.filter((element) => !elements.has(element.hash))
  for (const element of fresh) {
    elements.set(element.hash, element)
    engine.order.set(element.hash, engine.order.size)
    if (element.parent !== null) {
      let siblings: Set<string> | undefined = children.get(element.parent)
      if (siblings === undefined) children.set(element.parent, siblings = new Set())
      siblings.add(element.hash)
    }
  }
  // A new result changes what its source's `child.` fields and its children's `source.` fields read.
  const dirty = new Set<string>()
  for (const element of fresh) {
    dirty.add(element.hash)
    if (element.parent !== null && elements.has(element.parent)) dirty.add(element.parent)
    for (const child of children.get(element.hash) ?? []) dirty.add(child)
  }
  const findings: Array<Finding> = []
  for (const state of engine.rules) {
    const touched = new Set<string>()
    for (const hash of dirty) for (const key of place(engine, state, elements.get(hash)!, now)) touched.add(key)
    // A group already reported is not analysed again: it can only have grown.
    for (const key of touched) if (state.emitted.has(key)) touched.delete(key)
    if (state.monotone && touched.size > 0) {
      findings.push(...report(engine, state, analyse(state.rule, engine.index, groupsOf(engine, state, touched))))
    }
  }
  return findings
}

/** The findings of every rule over everything fed, not reported yet: called once the scan has ended. */
export const settle = (engine: Engine): ReadonlyArray<Finding> =>
  engine.rules.flatMap((state) =>
    report(engine, state, analyse(state.rule, engine.index, groupsOf(engine, state, state.groups.keys())))
  )

/** One pass over all the results at once: the reference the incremental evaluation must agree with. */
export const evaluate = (rules: ReadonlyArray<Rule>, elements: ReadonlyArray<Element>, now: number) => {
  const engine = make(rules)
  return [...feed(engine, elements, now), ...settle(engine)]
}
