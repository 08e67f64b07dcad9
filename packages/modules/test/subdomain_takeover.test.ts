/** subdomain_takeover against zones on the testkit's DNS server: dangling CNAMEs, claimable services, wildcard DNS. */
import { describe, expect, it } from "@effect/vitest"
import { assessTakeover, servicesFor, subdomainTakeover } from "@mirage/modules/modules/subdomain_takeover"
import { Effect, Either } from "effect"
import { collectInZone } from "./dnsZone.js"
import { worldWithContext } from "./support.js"

const zone = {
  "example.test": { A: ["192.0.2.1"] },
  // Azure answers NXDOMAIN for a released name: claimable by whoever registers it.
  "shop.example.test": { CNAME: "example-shop.azurewebsites.net" },
  // Resolves, but on a service whose unclaimed pages have a fingerprint to check.
  "blog.example.test": { CNAME: "example.ghost.io" },
  "example.ghost.io": { A: ["198.51.100.7"] },
  "old.example.test": { CNAME: "old.hosting-gone.test" },
  "cdn.example.test": { CNAME: "edge.example.test" },
  "edge.example.test": { A: ["192.0.2.80"] },
  "wild.example.test": { A: ["192.0.2.90"] },
  "loop-a.example.test": { CNAME: "loop-b.example.test" },
  "loop-b.example.test": { CNAME: "loop-a.example.test." },
  "*.wild.example.test": { A: ["192.0.2.90"] }
}

const takeoverOf = (
  result: { readonly outcome: Either.Either<ReadonlyArray<{ metadata: Record<string, unknown> }>, unknown> }
) => Either.getOrThrow(result.outcome)[0]?.metadata["takeover"]

describe("subdomain_takeover", () => {
  it.scoped("a CNAME to a released Azure name (NXDOMAIN) is a probable takeover", () =>
    Effect.gen(function*() {
      const result = yield* collectInZone(subdomainTakeover, zone, "shop.example.test")
      expect(Either.getOrThrow(result.outcome).map((f) => [f.type, f.value, f.confidence])).toEqual([
        ["DOMAIN", "shop.example.test", 1]
      ])
      expect(takeoverOf(result)).toEqual({
        status: "dangling CNAME on a claimable service",
        confidence: 0.9,
        service: "Microsoft Azure",
        fingerprint: null,
        cname_chain: ["example-shop.azurewebsites.net"]
      })
      expect(result.questions).toEqual(expect.arrayContaining([
        "CNAME shop.example.test",
        "A example-shop.azurewebsites.net",
        "AAAA example-shop.azurewebsites.net"
      ]))
    }))

  it.scoped("a live CNAME on a claimable service asks for its fingerprint; an unknown dangling target is generic", () =>
    Effect.gen(function*() {
      expect(takeoverOf(yield* collectInZone(subdomainTakeover, zone, "blog.example.test"))).toMatchObject({
        status: "check fingerprint",
        service: "Ghost",
        fingerprint: servicesFor("example.ghost.io")[0]?.fingerprint
      })
      expect(takeoverOf(yield* collectInZone(subdomainTakeover, zone, "old.example.test"))).toEqual({
        status: "dangling CNAME",
        confidence: 0.5,
        service: null,
        fingerprint: null,
        cname_chain: ["old.hosting-gone.test"]
      })
    }))

  it.scoped("a healthy CNAME and a plain name are no findings; a wildcard under the name is reported", () =>
    Effect.gen(function*() {
      expect(Either.getOrThrow((yield* collectInZone(subdomainTakeover, zone, "cdn.example.test")).outcome)).toEqual([])
      expect(Either.getOrThrow((yield* collectInZone(subdomainTakeover, zone, "example.test")).outcome)).toEqual([])
      const wild = yield* collectInZone(subdomainTakeover, zone, "wild.example.test")
      const metadata = Either.getOrThrow(wild.outcome)[0]?.metadata
      expect(metadata?.["takeover"]).toBeUndefined()
      expect(metadata?.["wildcard"]).toMatchObject({ addresses: ["192.0.2.90"], cname: null })
      expect(String((metadata?.["wildcard"] as { probe: string }).probe)).toMatch(
        /^mirage-wildcard-[0-9a-f]+\.wild\.example\.test$/
      )
    }))

  it.scoped("a CNAME loop ends the chain where it comes back, and resolves to nothing", () =>
    Effect.gen(function*() {
      expect(takeoverOf(yield* collectInZone(subdomainTakeover, zone, "loop-a.example.test"))).toMatchObject({
        status: "dangling CNAME",
        cname_chain: ["loop-b.example.test"]
      })
    }))

  it.scoped("a name whose server fails is the task's SourceUnavailable", () =>
    Effect.gen(function*() {
      const result = yield* collectInZone(
        subdomainTakeover,
        { "x.example.test": { rcode: "SERVFAIL" } },
        "x.example.test"
      )
      expect(Either.flip(result.outcome).pipe(Either.getOrThrow)).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("the sandbox's promo name is a dangling CNAME", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("subdomain_takeover")
      const session = yield* subdomainTakeover.open({}, ctx)
      const [promo] = yield* session.collect({ target: { type: "DOMAIN", value: "promo.mirage-sandbox.test" } })
      expect(promo?.metadata["takeover"]).toMatchObject({
        status: "dangling CNAME",
        cname_chain: ["mirage-promo.sandbox-pages.test"]
      })
    }))

  it("matches services by CNAME suffix, claimable first; a resolving target off any claimable service is nothing", () => {
    expect(servicesFor("x.s3.amazonaws.com").map((s) => s.service)).toEqual(["AWS/S3"])
    expect(servicesFor("notazurewebsites.net")).toEqual([])
    expect(assessTakeover("edge.example.test", true)).toBeUndefined()
  })
})
