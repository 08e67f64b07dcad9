/** greynoise_community against a declared GreyNoise: a scanner, a benign service, an unseen address, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { greynoiseCommunity } from "@mirage/modules/modules/greynoise_community"
import { Effect, Either } from "effect"
import { expectHidden, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"
import { checkRejected, found, ip } from "./threatSupport.js"

const key = "gn-community-key-0123"
const path = "/v3/community/198.51.100.9"

describe("greynoise_community", () => {
  it.scoped("a malicious scanner: the address marked with the verdict, the actor, the visualizer page; key in `key`", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(greynoiseCommunity, [{
        request: { path, headers: { key, accept: "application/json" } },
        response: {
          json: {
            ip: "198.51.100.9",
            noise: true,
            riot: false,
            classification: "malicious",
            name: "Shadowserver-ish Botnet",
            link: "https://viz.greynoise.io/ip/198.51.100.9",
            last_seen: "2026-11-30",
            message: "Success"
          }
        }
      }], { target: ip("198.51.100.9"), key })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "IP 198.51.100.9",
        "ORGANIZATION Shadowserver-ish Botnet",
        "URL https://viz.greynoise.io/ip/198.51.100.9"
      ])
      expect(Either.getOrThrow(run.outcome)[0]?.metadata).toEqual({
        greynoise: {
          noise: true,
          riot: false,
          classification: "malicious",
          actor: "Shadowserver-ish Botnet",
          last_seen: "2026-11-30"
        },
        malicious: true
      })
      expect(headersCarrying(run.server, key)).toEqual(["key"])
      expectHidden(run, key)
    }))

  it.scoped("keyless: a benign service (RIOT) names its operator; an unseen address (404) and a quiet one are nothing", () =>
    Effect.gen(function*() {
      const riot = yield* collectAgainst(greynoiseCommunity, [{
        request: { path: "/v3/community/192.0.2.53", headers: { key: null } },
        response: {
          json: {
            ip: "192.0.2.53",
            noise: false,
            riot: true,
            classification: "benign",
            name: "Example DNS",
            link: null
          }
        }
      }], { target: ip("192.0.2.53") })
      yield* riot.server.verify
      expect(found(riot.outcome)).toEqual(["IP 192.0.2.53", "ORGANIZATION Example DNS"])
      const unseen = yield* collectAgainst(greynoiseCommunity, [{
        request: { path },
        response: {
          status: 404,
          json: { ip: "198.51.100.9", noise: false, riot: false, message: "IP not observed scanning the internet." }
        }
      }], { target: ip("198.51.100.9") })
      expect(found(unseen.outcome)).toEqual([])
      const quiet = yield* collectAgainst(greynoiseCommunity, [{
        request: { path },
        response: { json: { ip: "198.51.100.9", noise: false, riot: false, name: "unknown" } }
      }], { target: ip("198.51.100.9") })
      expect(found(quiet.outcome)).toEqual([])
    }))

  it.scoped("an answer without its verdicts is BadResponse; 429 is RateLimited; a rejected key AuthFailed", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(greynoiseCommunity, [{
        request: { path },
        response: { json: { ip: "198.51.100.9", noise: "yes" } }
      }], { target: ip("198.51.100.9") })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const limited = yield* collectAgainst(greynoiseCommunity, [{
        request: { path },
        response: { status: 429, headers: { "retry-after": "3600" }, json: { plan: "unauthenticated" } }
      }], { target: ip("198.51.100.9") })
      expect(limited.outcome).toMatchObject({ left: { _tag: "RateLimited", retryAfterMs: 3_600_000 } })
      yield* checkRejected(greynoiseCommunity, { path }, key, ip("198.51.100.9"), [401])
    }))
})
