/** openphish against a declared feed: the domain's and its subdomains' phishing URLs, look-alikes dropped, odd lines. */
import { describe, expect, it } from "@effect/vitest"
import { openphish } from "@mirage/modules/modules/openphish"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"
import { found } from "./threatSupport.js"

const feed = [
  "https://login.shop.example/verify/account.php",
  "http://shop.example/wp-admin/secure/",
  "https://shop.example.attacker.test/login",
  "https://notshop.example/login",
  "https://other.test/paypal/"
].join("\n")
const domain = { type: "DOMAIN" as const, value: "shop.example" }

describe("openphish", () => {
  it.scoped("the feed's URLs on the domain and under it, marked phishing; look-alikes and others dropped", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(openphish, [{
        request: { path: "/feed.txt" },
        response: { body: `${feed}\n` }
      }], {
        target: domain
      })
      yield* run.server.verify
      expect(found(run.outcome)).toEqual([
        "URL https://login.shop.example/verify/account.php",
        "URL http://shop.example/wp-admin/secure/"
      ])
      expect(Either.getOrThrow(run.outcome)[0]?.metadata).toMatchObject({
        domain: "shop.example",
        host: "login.shop.example",
        phishing: true
      })
    }))

  it.scoped("a line that is not a URL is skipped and counted; a page of no URLs at all is BadResponse; 5xx unavailable", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(openphish, [{
        request: { path: "/feed.txt" },
        response: { body: `${feed}\n# comment\n` }
      }], { target: domain })
      expect(found(run.outcome)).toHaveLength(2)
      expect(run.notes.rows_skipped).toBe(1)
      const odd = yield* collectAgainst(openphish, [{ request: { path: "/feed.txt" }, response: { body: "<html>" } }], {
        target: domain
      })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const down = yield* collectAgainst(openphish, [{ request: { path: "/feed.txt" }, response: { status: 503 } }], {
        target: domain
      })
      expect(down.outcome).toMatchObject({ left: { _tag: "SourceUnavailable" } })
    }))
})
