/** Request kinds: a whole list is shared by a node's tasks only when no key asked for it: a keyed answer is its key holder's alone. */
import { describe, expect, it } from "@effect/vitest"
import { sharedList } from "@mirage/modules/kinds/Request"
import type { SourceSession } from "@mirage/modules/kinds/Request"
import type { SharedLists } from "@mirage/modules/SharedLists"
import { Effect, Option, Redacted } from "effect"
import { contextFor } from "../support.js"

describe("sharedList", () => {
  it.effect("a keyless session's list goes through the node's shared lists; a keyed session's never does", () =>
    Effect.gen(function*() {
      const { ctx } = yield* contextFor("cisa_kev", { dnsServers: [] })
      const asked: Array<string> = []
      const lists: SharedLists = { get: (key, load) => Effect.zipRight(Effect.sync(() => void asked.push(key)), load) }
      const session = (key: Option.Option<Redacted.Redacted<string>>): SourceSession<unknown> => ({
        module: "cisa_kev",
        config: {},
        base: "http://127.0.0.1:9",
        http: ctx.http,
        key,
        notes: ctx.notes,
        log: ctx.log,
        lists
      })
      const load = Effect.succeed(["CVE-2024-23897"])

      expect(yield* sharedList(session(Option.none()), "/feed.json", load)).toEqual(["CVE-2024-23897"])
      expect(asked).toEqual(["cisa_kev http://127.0.0.1:9/feed.json"])
      expect(yield* sharedList(session(Option.some(Redacted.make("job-key"))), "/feed.json", load))
        .toEqual(["CVE-2024-23897"])
      expect(asked).toHaveLength(1)
    }))
})
