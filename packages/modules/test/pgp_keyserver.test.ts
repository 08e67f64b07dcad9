/** pgp_keyserver against a declared HKP keyserver: the mr index request, addresses of the domain, odd user IDs. */
import { describe, expect, it } from "@effect/vitest"
import { pgpKeyserver } from "@mirage/modules/modules/pgp_keyserver"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "Example.test" }
const request = {
  path: "/pks/lookup",
  query: { op: "index", options: "mr", search: "example.test" },
  headers: { accept: "text/plain, */*" }
}
const index = [
  "info:1:3",
  "pub:0123456789ABCDEF0123456789ABCDEF01234567:1:4096:1420070400::",
  "uid:Alice Example <alice@example.test>:1420070400::",
  "uid:Alice (work) <Alice@Mail.Example.test>:1420070400::",
  "pub:89ABCDEF0123456789ABCDEF0123456789ABCDEF:22:256:1262304000::r",
  "uid:Alice Example <alice@example.test>:1262304000::",
  "uid:Bob %3Cbob%40example.test%3E:1262304000::",
  "uid:Carol <carol@elsewhere.test>:1262304000::",
  "pub:FEDCBA9876543210FEDCBA9876543210FEDCBA98:1:2048:1262304000::e",
  "uid:Dave Example:1262304000::",
  "uid:Eve <eve@example.test>:1262304000::"
].join("\n")

describe("pgp_keyserver", () => {
  it.scoped("asks the mr index for the domain; each address under it once, with its names and keys", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(pgpKeyserver, [{
        request,
        response: { headers: { "content-type": "text/plain" }, body: index }
      }], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.value, f.confidence, f.metadata])).toEqual([
        ["alice@example.test", 0.8, { names: ["Alice Example"], current_key: true }],
        ["Alice@mail.example.test", 0.8, { names: ["Alice (work)"], current_key: true }],
        ["bob@example.test", 0.6, { names: ["Bob"], current_key: false }],
        ["eve@example.test", 0.6, { names: ["Eve"], current_key: false }]
      ])
      expect(findings[0]?.source_data).toEqual({
        keys: ["0123456789ABCDEF0123456789ABCDEF01234567", "89ABCDEF0123456789ABCDEF0123456789ABCDEF"]
      })
      // "Dave Example" names no address: skipped and counted.
      expect(notes.rows_skipped).toBe(1)
    }))

  it.scoped("404 (no keys) is no findings", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(pgpKeyserver, [{
        request,
        response: { status: 404, body: "No results found" }
      }], { target })
      expect(Either.getOrThrow(outcome)).toEqual([])
    }))
})
