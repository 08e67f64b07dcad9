/** The paged-API and subdomain-source kinds through the fixture server: paging, tolerance, partial pages, keys. */
import { describe, expect, it } from "@effect/vitest"
import { maxPagesField, NoConfig } from "@mirage/modules/kinds/PagedApi"
import * as Paging from "@mirage/modules/kinds/Paging"
import { Auth, Formats } from "@mirage/modules/kinds/Request"
import * as Rows from "@mirage/modules/kinds/Rows"
import { subdomainSource } from "@mirage/modules/kinds/SubdomainSource"
import * as FixtureServer from "@mirage/testkit/FixtureServer"
import { Effect, Either, Option, Schema } from "effect"
import { collectAgainst } from "../support.js"

const Issuance = Schema.Struct({ id: Rows.Stringish, dns_names: Schema.Array(Schema.String) })

/** A source shaped like Cert Spotter: `after=<last id>` paging, an optional bearer key. */
const ctSource = (requiresKey = false) =>
  subdomainSource({
    name: "example_ct",
    description: "Names in an example CT search",
    flags: ["passive", "safe"],
    source: {
      id: "example_ct",
      name: "Example CT",
      baseUrl: "https://ct.example",
      rateLimit: { requests: 10, perSeconds: 1 },
      requiresKey,
      proxy: true
    },
    config: Schema.Struct({ max_pages: maxPagesField(5) }),
    auth: Auth.bearer,
    format: Formats.json,
    request: (domain) => ({ path: "/v1/issuances", query: { domain, include_subdomains: "true" } }),
    rows: (body) => (Array.isArray(body) ? body : undefined),
    row: Issuance,
    paging: Paging.afterLast("after", "id"),
    maxPages: (config) => config.max_pages,
    names: (issuance) => issuance.dns_names,
    evidence: (issuance) => ({ issuance: issuance.id })
  })

const query = { domain: "example.test", include_subdomains: "true" }
const page = (after: string | undefined, rows: unknown, status = 200) => ({
  request: { path: "/v1/issuances", query: after === undefined ? query : { ...query, after } },
  response: { status, json: rows }
})
const target = { type: "DOMAIN" as const, value: "Example.TEST" }

describe("pagedApi / subdomainSource", () => {
  it.scoped("follows `after` paging, keeps in-scope names once each, ids string or number", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(ctSource(), [
        page(undefined, [
          { id: "1", dns_names: ["*.example.test", "www.example.test"] },
          { id: 2, dns_names: ["WWW.example.test.", "elsewhere.test"] }
        ]),
        page("2", [{ id: "3", dns_names: ["api.example.test"] }]),
        page("3", [])
      ], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => [f.value, f.metadata["wildcard"], f.metadata["seen_in"]])).toEqual([
        ["api.example.test", false, 1],
        ["example.test", true, 1],
        ["www.example.test", false, 2]
      ])
      expect(findings.find((f) => f.value === "www.example.test")?.source_data).toEqual({
        evidence: [{ issuance: "1" }, { issuance: "2" }]
      })
      expect(notes).toEqual({ rows_skipped: 0, skip_reason: null, warnings: [] })
    }))

  it.scoped("a row that does not parse is skipped and counted; the others are kept", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(ctSource(), [
        page(undefined, [{ id: "1", dns_names: ["a.example.test"] }, { id: "2" }, { id: null, dns_names: [] }]),
        page("1", [])
      ], { target })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["a.example.test"])
      expect(notes.rows_skipped).toBe(2)
      expect(notes.skip_reason).toContain("dns_names")
    }))

  it.scoped("a later page failing keeps the earlier pages' findings, with a warning", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(ctSource(), [
        page(undefined, [{ id: "1", dns_names: ["a.example.test"] }]),
        page("1", { code: "not_found" }, 404)
      ], { target })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["a.example.test"])
      expect(notes.warnings).toEqual([expect.stringContaining("page 2 failed, 1 rows of earlier pages kept")])
    }))

  it.scoped("the first page failing is the task's failure: 429 with Retry-After is RateLimited", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(ctSource(), [
        { request: page(undefined, []).request, response: FixtureServer.rateLimited(120) }
      ], { target })
      yield* server.verify
      expect(Either.flip(outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "RateLimited", retryAfterMs: 120_000 })
    }))

  it.scoped("an answer of which no row parses is BadResponse, not an empty success", () =>
    Effect.gen(function*() {
      const { notes, outcome } = yield* collectAgainst(ctSource(), [page(undefined, [{ id: "1" }])], { target })
      expect(Either.flip(outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "BadResponse" })
      expect(notes.rows_skipped).toBe(1)
    }))

  it.scoped("the page cap stops paging with a warning; the key goes where the source wants it", () =>
    Effect.gen(function*() {
      const withKey = (exchange: ReturnType<typeof page>) => ({
        ...exchange,
        request: { ...exchange.request, headers: { authorization: "Bearer k-123" } }
      })
      const { notes, outcome, server } = yield* collectAgainst(ctSource(true), [
        withKey(page(undefined, [{ id: "1", dns_names: ["a.example.test"] }])),
        withKey(page("1", [{ id: "2", dns_names: ["b.example.test"] }]))
      ], { target, key: "k-123", config: { max_pages: 2 } })
      yield* server.verify
      expect(Either.getOrThrow(outcome)).toHaveLength(2)
      expect(notes.warnings).toEqual(["stopped after 2 pages (max_pages); the source had more"])
    }))

  it.scoped("a source that requires a key fails AuthFailed without sending anything when none is configured", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(ctSource(true), [], { target })
      yield* server.verify
      expect(server.requests()).toBe(0)
      expect(Either.flip(outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "AuthFailed" })
    }))
})

describe("Paging", () => {
  const linked = subdomainSource({
    name: "example_links",
    description: "Names from an API with links.next",
    flags: ["passive", "safe"],
    source: {
      id: "example_links",
      name: "Links",
      rateLimit: { requests: 1, perSeconds: 1 },
      requiresKey: false,
      proxy: true
    },
    config: NoConfig,
    auth: Auth.query("apikey"),
    format: Formats.json,
    request: (domain) => ({ path: `/domains/${domain}/subdomains` }),
    rows: (body) => {
      const data = Rows.at(body, "data")
      return Array.isArray(data) ? data : undefined
    },
    row: Schema.String,
    paging: Paging.nextLink((body) => Rows.at(body, "links.next")),
    maxPages: () => 10,
    names: (name) => [name]
  })

  it.scoped("links.next is followed on the source's origin and refused elsewhere", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(linked, [
        {
          request: { path: "/domains/example.test/subdomains" },
          response: {
            json: { data: ["a.example.test"], links: { next: "/domains/example.test/subdomains?cursor=c2" } }
          }
        },
        {
          request: { path: "/domains/example.test/subdomains", query: { cursor: "c2" } },
          response: { json: { data: ["b.example.test"], links: { next: "https://elsewhere.example/next" } } }
        }
      ], { target })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["a.example.test", "b.example.test"])
      expect(notes.warnings).toEqual([expect.stringContaining("leaves its origin")])
    }))

  it("page numbers and offsets stop at a short or empty page", () => {
    const seen = (size: number, index: number) => ({ body: null, rows: [], size, index, headers: {} })
    expect(Paging.pageNumber("page", { size: 2 }).next(seen(2, 0))).toEqual(
      Option.some({ _tag: "Query", query: { page: 2 } })
    )
    expect(Paging.pageNumber("page", { size: 2 }).next(seen(1, 0))._tag).toBe("None")
    expect(Paging.offset("offset", 50).next(seen(50, 1))).toMatchObject({ value: { query: { offset: 100 } } })
    expect(Paging.offset("offset", 50).next(seen(49, 1))._tag).toBe("None")
  })
})
