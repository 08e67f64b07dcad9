/** peeringdb against a declared PeeringDB: the net query by ASN, the operator and its website, odd records. */
import { describe, expect, it } from "@effect/vitest"
import { peeringdb } from "@mirage/modules/modules/peeringdb"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "ASN" as const, value: "AS64500" }
const request = { path: "/api/net", query: { asn: "64500" }, headers: { accept: "application/json" } }
const net = {
  id: 433,
  org_id: 571,
  name: "Example Networks",
  aka: "ExNet",
  name_long: "",
  website: "https://www.example.test/",
  asn: 64500,
  irr_as_set: "RADB::AS-EXAMPLE",
  info_type: "Content",
  info_scope: "Global",
  policy_general: "Selective",
  looking_glass: ""
}

describe("peeringdb", () => {
  it.scoped("asks for the network by AS number: its operator (blank fields left out) and its website", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(peeringdb, [{
        request: { ...request, headers: { ...request.headers, authorization: null } },
        response: { json: { data: [net], meta: {} } }
      }], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.type, f.value])).toEqual([
        ["ORGANIZATION", "Example Networks"],
        ["URL", "https://www.example.test/"]
      ])
      expect(findings[0]?.metadata).toEqual({
        asn: "AS64500",
        peeringdb_id: 433,
        aka: "ExNet",
        network_type: "Content",
        scope: "Global",
        irr_as_set: "RADB::AS-EXAMPLE",
        peering_policy: "Selective",
        role: "AS operator"
      })
    }))

  it.scoped("a key goes as Api-Key; an unknown AS is an empty data list", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(peeringdb, [{
        request: { ...request, headers: { authorization: "Api-Key pdb-1" } },
        response: { json: { data: [], meta: {} } }
      }], { target, key: "pdb-1" })
      yield* server.verify
      expect(Either.getOrThrow(outcome)).toEqual([])
    }))

  it.scoped("a record without a name is skipped and counted; 429 honours Retry-After", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(peeringdb, [{
        request,
        response: { json: { data: [{ ...net, name: "" }, { ...net, id: 434, name: "Second", website: null }] } }
      }], { target })
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["Second"])
      expect(odd.notes.rows_skipped).toBe(1)
      const limited = yield* collectAgainst(peeringdb, [{
        request,
        response: { status: 429, headers: { "retry-after": "30" }, json: { message: "Request was throttled." } }
      }], { target })
      expect(Either.getLeft(limited.outcome)).toMatchObject({
        _tag: "Some",
        value: { _tag: "RateLimited", retryAfterMs: 30_000 }
      })
    }))
})
