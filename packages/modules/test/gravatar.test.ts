/** gravatar against a declared Gravatar: the hashed request, a profile's names, accounts and links, odd entries. */
import { describe, expect, it } from "@effect/vitest"
import { gravatar, gravatarHash } from "@mirage/modules/modules/gravatar"
import { Effect, Either } from "effect"
import { createHash } from "node:crypto"
import { collectAgainst } from "./support.js"

const target = { type: "EMAIL" as const, value: "Alice@Example.test" }
const hash = createHash("md5").update("alice@example.test").digest("hex")
const request = { path: `/${hash}.json`, headers: { accept: "application/json" } }

describe("gravatar", () => {
  it.scoped("asks by the address's MD5; the profile's user names, accounts, links and other addresses", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(gravatar, [{
        request,
        response: {
          json: {
            entry: [{
              id: "1",
              hash,
              profileUrl: "https://gravatar.com/alicex",
              preferredUsername: "alicex",
              displayName: "Alice X",
              accounts: [{
                domain: "github.com",
                shortname: "github",
                username: "alice-gh",
                url: "https://github.com/alice-gh"
              }],
              urls: [{ value: "https://alice.example.test/", title: "Blog" }],
              emails: [{ primary: "true", value: "alice@example.test" }, { value: "ax@other.test" }]
            }]
          }
        }
      }], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value, f.metadata["service"]])).toEqual([
        ["USERNAME", "alicex", "gravatar"],
        ["URL", "https://gravatar.com/alicex", "gravatar"],
        ["USERNAME", "alice-gh", "github"],
        ["URL", "https://github.com/alice-gh", "github"],
        ["URL", "https://alice.example.test/", undefined],
        ["EMAIL", "ax@other.test", undefined]
      ])
      expect(gravatarHash(" ALICE@example.test ")).toBe(hash)
    }))

  it.scoped("an entry without its hash is skipped and counted; 404 is no profile", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(gravatar, [{
        request,
        response: { json: { entry: [{ preferredUsername: "ghost" }, { hash, preferredUsername: "alicex" }] } }
      }], { target })
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["alicex"])
      expect(odd.notes.rows_skipped).toBe(1)
      const none = yield* collectAgainst(
        gravatar,
        [{ request, response: { status: 404, body: "\"User not found\"" } }],
        {
          target
        }
      )
      expect(Either.getOrThrow(none.outcome)).toEqual([])
    }))
})
