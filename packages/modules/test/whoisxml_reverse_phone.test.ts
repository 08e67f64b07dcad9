/** whoisxml_reverse_phone against a declared Reverse WHOIS v2: the JSON body with the key, searchAfter paging, keys. */
import { describe, expect, it } from "@effect/vitest"
import { whoisxmlReversePhone } from "@mirage/modules/modules/whoisxml_reverse_phone"
import { whoisxmlSubdomains } from "@mirage/modules/modules/whoisxml_subdomains"
import { Effect, Either } from "effect"
import { expectHidden, failure, headersCarrying } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "at_whoisxml0123456789"
const target = { type: "PHONE" as const, value: "+1 202 555 0143" }
const search = (searchAfter?: string) =>
  JSON.stringify({
    apiKey: key,
    searchType: "current",
    mode: "purchase",
    punycode: true,
    basicSearchTerms: { include: ["12025550143"] },
    ...(searchAfter === undefined ? {} : { searchAfter })
  })
const request = (searchAfter?: string) => ({
  method: "POST",
  path: "/api/v2",
  body: search(searchAfter),
  headers: { "content-type": "application/json" }
})
const page = (domainsList: ReadonlyArray<unknown>, next: string | null, count = 3) => ({
  json: { nextPageSearchAfter: next, domainsCount: count, domainsList }
})

describe("whoisxml_reverse_phone", () => {
  it("shares the WhoisXML declaration's name, limits and key requirement on the Reverse WHOIS host", () => {
    const { baseUrl, id, name, ...limits } = whoisxmlReversePhone.source
    const { baseUrl: _b, id: _i, name: _n, ...shared } = whoisxmlSubdomains.source
    expect(limits).toEqual(shared)
    expect([id, baseUrl, name.startsWith("WhoisXML API")]).toEqual([
      "whoisxml_reverse",
      "https://reverse-whois.whoisxmlapi.com",
      true
    ])
  })

  it.scoped("POSTs the number with the key in the body, pages with searchAfter; every domain is a lead", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(whoisxmlReversePhone, [
        { request: request(), response: page(["Example.test", "other-company.test"], "cursor-1") },
        { request: request("cursor-1"), response: page(["third.test", "example.test"], null) }
      ], { target, key })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.map((f) => f.value)).toEqual(["example.test", "other-company.test", "third.test"])
      expect(findings.every((f) => f.type === "DOMAIN" && f.metadata["phone"] === "+12025550143")).toBe(true)
      expect(headersCarrying(run.server, key)).toEqual([])
      expect(run.server.received().every((r) => !r.url.toString().includes(key))).toBe(true)
      expectHidden(run, key)
    }))

  it.scoped("stops at max_pages with a warning; a later page failing keeps the earlier ones; odd entries skipped", () =>
    Effect.gen(function*() {
      const capped = yield* collectAgainst(whoisxmlReversePhone, [
        { request: request(), response: page(["a.test", 42], "c1") }
      ], { target, key, config: { max_pages: 1 } })
      expect(Either.getOrThrow(capped.outcome).map((f) => f.value)).toEqual(["a.test"])
      expect(capped.notes).toMatchObject({ rows_skipped: 1, warnings: [expect.stringContaining("max_pages")] })
      const broken = yield* collectAgainst(whoisxmlReversePhone, [
        { request: request(), response: page(["a.test"], "c1") },
        { request: request("c1"), response: { status: 500, body: "oops" } }
      ], { target, key })
      expect(Either.getOrThrow(broken.outcome).map((f) => f.value)).toEqual(["a.test"])
      expect(broken.notes).toMatchObject({ warnings: [expect.stringContaining("page 2 failed")] })
    }))

  it.scoped("an answer without domainsList is BadResponse; a rejected key is AuthFailed; no key sends nothing", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(whoisxmlReversePhone, [
        { request: request(), response: { json: { domainsCount: 0 } } }
      ], { target, key })
      expect(failure(odd.outcome)).toMatchObject({ _tag: "BadResponse" })
      for (const status of [401, 403]) {
        const run = yield* collectAgainst(whoisxmlReversePhone, [
          { request: request(), response: { status, json: { code: status, messages: "Access restricted" } } }
        ], { target, key })
        expect(failure(run.outcome)).toMatchObject({ _tag: "AuthFailed" })
        expectHidden(run, key)
      }
      const keyless = yield* collectAgainst(whoisxmlReversePhone, [], { target })
      expect(failure(keyless.outcome)).toMatchObject({ _tag: "AuthFailed" })
      expect(keyless.server.received()).toEqual([])
    }))
})
