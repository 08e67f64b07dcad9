/** Reading an organization's rules: each text parsed once, whatever number of engines read it. */
import { describe, expect, it } from "@effect/vitest"
import { OrganizationId } from "@mirage/domain/Ids"
import { Effect, Either } from "effect"
import { parse } from "../../src/monitoring/correlation/RuleFile.js"
import type { RuleStoreService, StoredRule } from "../../src/monitoring/correlation/RuleStore.js"
import { rulesOf, storedRule } from "../../src/monitoring/correlation/RuleStore.js"
import { sshRuleText } from "./Harness.js"

const organization = OrganizationId.make("77777777-7777-4777-8777-000000000009")

/** A store holding `rules` (its other operations are not used here). */
const holding = (rules: Array<StoredRule>): RuleStoreService => ({
  list: () => Effect.succeed(rules),
  put: (rule) => Effect.succeed(rule),
  remove: () => Effect.succeed(false)
})

describe("RuleStore.rulesOf", () => {
  it.effect("parses a text once: the next engine gets the same rule; a changed text is parsed anew", () =>
    Effect.gen(function*() {
      const stored = (id: string) =>
        storedRule(organization, Either.getOrThrow(parse(sshRuleText(id))), sshRuleText(id), 0)
      const rules = [stored("ssh_open_once")]
      const store = holding(rules)
      const [first] = yield* rulesOf(store, organization)
      const [again] = yield* rulesOf(store, organization)
      expect(first!.id).toBe("ssh_open_once")
      expect(again).toBe(first)
      rules[0] = stored("ssh_open_changed")
      const [changed] = yield* rulesOf(store, organization)
      expect(changed!.id).toBe("ssh_open_changed")
    }))
})
