/**
 * Organizations' own correlation rules, kept as the YAML text they were uploaded in (validated first): the
 * correlator evaluates them with the built-in rules on the organization's scans, one of the same id replacing the
 * built-in one.
 */
import type { RiskLevel, Rule } from "@mirage/domain/correlation/Rule"
import type { OrganizationId } from "@mirage/domain/Ids"
import { Context, Effect, Either } from "effect"
import type { PersistenceError } from "../../platform/Errors.js"
import { parse } from "./RuleFile.js"

export interface StoredRule {
  readonly organization_id: OrganizationId
  readonly id: string
  readonly name: string
  readonly risk: RiskLevel
  readonly yaml: string
  /** Epoch ms. */
  readonly created_at: number
  readonly updated_at: number
}

export interface RuleStoreService {
  readonly list: (organizationId: OrganizationId) => Effect.Effect<ReadonlyArray<StoredRule>, PersistenceError>
  /** Inserts the rule, or replaces the organization's rule of that id (keeping when it was first uploaded). */
  readonly put: (rule: StoredRule) => Effect.Effect<StoredRule, PersistenceError>
  /** Whether there was such a rule. */
  readonly remove: (organizationId: OrganizationId, id: string) => Effect.Effect<boolean, PersistenceError>
}

export class RuleStore extends Context.Tag("@mirage/runtime/CorrelationRuleStore")<RuleStore, RuleStoreService>() {}

/** The stored record of a rule parsed from `yaml`, uploaded at `at`. */
export const storedRule = (organizationId: OrganizationId, rule: Rule, yaml: string, at: number): StoredRule => ({
  organization_id: organizationId,
  id: rule.id,
  name: rule.meta.name,
  risk: rule.meta.risk,
  yaml,
  created_at: at,
  updated_at: at
})

/** Rule texts parsed at most; past that the memo starts over. */
const parsedCapacity = 1000

/**
 * Rule texts parsed already, by their text: each new scan's engine reads its organization's rules, and parsing the
 * same YAML again for every one of them cost more than the read. A text's parse never changes.
 */
const parsed = new Map<string, ReturnType<typeof parse>>()

const parseOnce = (yaml: string): ReturnType<typeof parse> => {
  const known = parsed.get(yaml)
  if (known !== undefined) return known
  const fresh = parse(yaml)
  if (parsed.size >= parsedCapacity) parsed.clear()
  parsed.set(yaml, fresh)
  return fresh
}

/** The organization's rules decoded; a text that no longer reads as a rule (the format moved on) is logged and left out. */
export const rulesOf = (store: RuleStoreService, organizationId: OrganizationId) =>
  Effect.flatMap(
    store.list(organizationId),
    (stored) =>
      Effect.forEach(stored, (each) =>
        Either.match(parseOnce(each.yaml), {
          onRight: (rule) => Effect.succeed([rule]),
          onLeft: (error) =>
            Effect.as(
              Effect.logWarning("an organization's correlation rule no longer loads").pipe(
                Effect.annotateLogs({ organization_id: organizationId, rule_id: each.id, reason: error.message })
              ),
              []
            )
        })).pipe(Effect.map((rules) => rules.flat()))
  )

/** The built-in rules with the organization's own: one of the same id replaces the built-in one. */
export const withOwn = (builtin: ReadonlyArray<Rule>, own: ReadonlyArray<Rule>): ReadonlyArray<Rule> => {
  const ids = new Set(own.map((rule) => rule.id))
  return [...builtin.filter((rule) => !ids.has(rule.id)), ...own]
}
