/** ripestat_prefixes against a declared RIPEstat: the announced-prefixes call, its prefixes, odd entries and errors. */
import { describe, expect, it } from "@effect/vitest"
import { ripestatPrefixes, sourceapp } from "@mirage/modules/modules/ripestat_prefixes"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "ASN" as const, value: "as64500" }
const request = {
  path: "/data/announced-prefixes/data.json",
  query: { resource: "AS64500", sourceapp },
  headers: { accept: "application/json" }
}
const answer = (prefixes: ReadonlyArray<unknown>) => ({
  status: "ok",
  status_code: 200,
  data: { prefixes, resource: "64500", query_starttime: "2026-01-01T00:00:00", query_endtime: "2026-01-15T00:00:00" }
})

describe("ripestat_prefixes", () => {
  it.scoped("asks for the AS's announced prefixes; each is a NETBLOCK with when it was seen", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(ripestatPrefixes, [{
        request,
        response: {
          json: answer([
            {
              prefix: "198.51.100.0/24",
              timelines: [
                { starttime: "2026-01-05T08:00:00", endtime: "2026-01-15T00:00:00" },
                { starttime: "2026-01-01T00:00:00", endtime: "2026-01-03T00:00:00" }
              ]
            },
            { prefix: "2001:DB8::/32", timelines: [] }
          ])
        }
      }], { target })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => [f.value, f.metadata])).toEqual([
        ["198.51.100.0/24", {
          asn: "AS64500",
          first_seen: "2026-01-01T00:00:00",
          last_seen: "2026-01-15T00:00:00"
        }],
        ["2001:db8::/32", { asn: "AS64500" }]
      ])
    }))

  it.scoped("an odd entry is skipped and counted; max_prefixes caps what is kept", () =>
    Effect.gen(function*() {
      const { notes, outcome } = yield* collectAgainst(ripestatPrefixes, [{
        request,
        response: {
          json: answer([{ prefix: "192.0.2.0/24" }, { prefix: 7 }, "203.0.113.0/24", { prefix: "198.51.100.0/24" }])
        }
      }], { target, config: { max_prefixes: 1 } })
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["192.0.2.0/24"])
      expect(notes.rows_skipped).toBe(2)
    }))

  it.scoped("an error status in the body is a refusal; an answer without data.prefixes a BadResponse", () =>
    Effect.gen(function*() {
      const refused = yield* collectAgainst(ripestatPrefixes, [{
        request,
        response: { json: { status: "error", messages: [["error", "invalid resource"]], data: {} } }
      }], { target })
      expect(Either.getLeft(refused.outcome)).toMatchObject({ _tag: "Some", value: { _tag: "BadResponse" } })
      const shapeless = yield* collectAgainst(ripestatPrefixes, [{ request, response: { json: answer([]).data } }], {
        target
      })
      expect(Either.getLeft(shapeless.outcome)).toMatchObject({ _tag: "Some", value: { _tag: "BadResponse" } })
    }))
})
