/** google_safebrowsing against a declared Lookup API: the JSON body, a domain's two home pages, matches, key errors, odd answers. */
import { describe, expect, it } from "@effect/vitest"
import { googleSafebrowsing } from "@mirage/modules/modules/google_safebrowsing"
import { Effect, Either } from "effect"
import { expectHidden } from "./keyedSource.js"
import { collectAgainst } from "./support.js"
import { checkRejected, found } from "./threatSupport.js"

const key = "AIzaSafeBrowsingKey000"
const all = ["MALWARE", "SOCIAL_ENGINEERING", "UNWANTED_SOFTWARE", "POTENTIALLY_HARMFUL_APPLICATION"]
const lookup = (urls: ReadonlyArray<string>, threatTypes = all) => ({
  method: "POST",
  path: "/v4/threatMatches:find",
  query: { key },
  body: JSON.stringify({
    client: { clientId: "mirage", clientVersion: "1.0.0" },
    threatInfo: {
      threatTypes,
      platformTypes: ["ANY_PLATFORM"],
      threatEntryTypes: ["URL"],
      threatEntries: urls.map((url) => ({ url }))
    }
  }),
  headers: { "content-type": "application/json" }
})
const domain = { type: "DOMAIN" as const, value: "phish.example" }
const homes = ["http://phish.example/", "https://phish.example/"]
const match = (url: string, threatType: string) => ({
  threatType,
  platformType: "ANY_PLATFORM",
  threat: { url },
  cacheDuration: "300s",
  threatEntryType: "URL"
})

describe("google_safebrowsing", () => {
  it.scoped("a domain asked as its two home pages: the domain marked with the threat types, each listed URL", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(googleSafebrowsing, [{
        request: lookup(homes),
        response: {
          json: {
            matches: [
              match("https://phish.example/", "SOCIAL_ENGINEERING"),
              match("https://phish.example/", "MALWARE"),
              match("http://phish.example/", "SOCIAL_ENGINEERING")
            ]
          }
        }
      }], { target: domain, key })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "DOMAIN phish.example",
        "URL https://phish.example/",
        "URL http://phish.example/"
      ])
      const [site, https] = Either.getOrThrow(run.outcome)
      expect(site?.metadata).toEqual({
        safe_browsing: { threat_types: ["MALWARE", "SOCIAL_ENGINEERING"] },
        malicious: true
      })
      expect(https?.metadata).toMatchObject({ safe_browsing: { threat_types: ["MALWARE", "SOCIAL_ENGINEERING"] } })
      expectHidden(run, key)
    }))

  it.scoped("a URL asked as it is, with the configured lists; {} is nothing", () =>
    Effect.gen(function*() {
      const url = "https://files.example/setup.exe"
      const run = yield* collectAgainst(googleSafebrowsing, [{
        request: lookup([url], ["MALWARE"]),
        response: { json: {} }
      }], {
        target: { type: "URL", value: url },
        key,
        config: { threat_types: ["MALWARE"] }
      })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([])
    }))

  it.scoped("an invalid key (400 naming it) AuthFailed, another 400 BadResponse; odd matches skipped; no key AuthFailed", () =>
    Effect.gen(function*() {
      const invalid = yield* collectAgainst(googleSafebrowsing, [{
        request: lookup(homes),
        response: {
          status: 400,
          json: {
            error: { code: 400, message: "API key not valid. Please pass a valid API key.", status: "INVALID_ARGUMENT" }
          }
        }
      }], { target: domain, key })
      expect(invalid.outcome).toMatchObject({ left: { _tag: "AuthFailed", status: 400 } })
      expectHidden(invalid, key)
      const bad = yield* collectAgainst(googleSafebrowsing, [{
        request: lookup(homes),
        response: {
          status: 400,
          json: { error: { code: 400, message: "Invalid JSON payload", status: "INVALID_ARGUMENT" } }
        }
      }], { target: domain, key })
      expect(bad.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const partial = yield* collectAgainst(googleSafebrowsing, [{
        request: lookup(homes),
        response: { json: { matches: [match("http://phish.example/", "MALWARE"), { threatType: "MALWARE" }] } }
      }], { target: domain, key })
      expect(found(partial.outcome)).toEqual(["DOMAIN phish.example", "URL http://phish.example/"])
      expect(partial.notes.rows_skipped).toBe(1)
      const odd = yield* collectAgainst(googleSafebrowsing, [{
        request: lookup(homes),
        response: { json: { matches: "none" } }
      }], {
        target: domain,
        key
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      yield* checkRejected(googleSafebrowsing, lookup(homes), key, domain, [403])
    }))
})
