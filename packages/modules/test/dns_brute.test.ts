/** dns_brute against the fixture world's DNS server and a zone with a wildcard: wordlists, wildcards, randomness. */
import { describe, expect, it } from "@effect/vitest"
import { SourceUnavailable } from "@mirage/modules/Module"
import { batchSize, builtinWordlist, dnsBrute, DnsBruteConfig, wordSlices } from "@mirage/modules/modules/dns_brute"
import * as DnsServer from "@mirage/testkit/DnsServer"
import { Effect, Random, Schema } from "effect"
import { contextFor, domainTarget, worldWithContext } from "./support.js"

const names = (findings: ReadonlyArray<{ readonly value: string }>) => findings.map((finding) => finding.value).sort()

const wildZone: DnsServer.Zone = {
  "wild.example.test": { A: ["192.0.2.1"] },
  "*.wild.example.test": { A: ["192.0.2.66"] },
  "www.wild.example.test": { A: ["192.0.2.80"] },
  // Answers what the wildcard answers: indistinguishable from it, so dropped.
  "mail.wild.example.test": { A: ["192.0.2.66"] }
}

describe("dns_brute", () => {
  it.scoped("finds the names of the built-in wordlist that resolve", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_brute")
      const session = yield* dnsBrute.open({}, ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(names(findings)).toEqual([
        "api.mirage-sandbox.test",
        "cdn.mirage-sandbox.test",
        "dev.mirage-sandbox.test",
        "intranet.mirage-sandbox.test",
        "mail.mirage-sandbox.test",
        "ns1.mirage-sandbox.test",
        "vpn.mirage-sandbox.test",
        "www.mirage-sandbox.test"
      ])
      expect(findings.find((finding) => finding.value === "cdn.mirage-sandbox.test")).toMatchObject({
        confidence: 1,
        source_data: { word: "cdn", addresses: ["203.0.113.80", "2001:db8:0:c::80"] },
        metadata: { method: "wordlist", wildcard: false }
      })
      // Three random probes and every word, each asked for A and AAAA.
      expect(world.dns.queries()).toBe((3 + builtinWordlist.length) * 2)
    }))

  it.scoped("takes extra words from config, or only those", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_brute")
      const extra = yield* dnsBrute.open({ wordlist: ["Edge", "legacy"] }, ctx)
      expect(names(yield* extra.collect(domainTarget(world.domain)))).toContain("edge.mirage-sandbox.test")
      const only = yield* dnsBrute.open({
        wordlist: ["edge", "legacy"],
        use_builtin_wordlist: false,
        wildcard_probes: 0
      }, ctx)
      const before = world.dns.queries()
      expect(names(yield* only.collect(domainTarget(world.domain)))).toEqual(["edge.mirage-sandbox.test"])
      expect(world.dns.queries() - before).toBe(4)
    }))

  it.scoped("under a wildcard, drops the names that answer only with the wildcard's addresses", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(wildZone)
      const { ctx, logs } = yield* contextFor("dns_brute", { dnsServers: [server.address] })
      const session = yield* dnsBrute.open({ wordlist: ["nothing-here"] }, ctx)
      const findings = yield* session.collect(domainTarget("wild.example.test"))
      expect(findings.map(({ metadata, value }) => ({ value, metadata }))).toEqual([
        { value: "www.wild.example.test", metadata: { method: "wordlist", wildcard: true } }
      ])
      expect(logs).toContainEqual({
        message: "dns_brute found a wildcard",
        fields: { domain: "wild.example.test", addresses: ["192.0.2.66"] }
      })
    }))

  it.scoped("its random labels come from Effect's Random: the same seed probes the same names", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_brute")
      const session = yield* dnsBrute.open({ use_builtin_wordlist: false, wordlist: ["www"] }, ctx)
      const probesOf = Effect.gen(function*() {
        const before = world.dns.questions().length
        yield* session.collect(domainTarget(world.domain)).pipe(Effect.withRandom(Random.make("sandbox")))
        return world.dns.questions().slice(before).filter((q) => q.type === "A" && !q.name.startsWith("www."))
          .map((q) => q.name).sort()
      })
      const first = yield* probesOf
      expect(first).toHaveLength(3)
      for (const name of first) expect(name).toMatch(/^[a-z0-9]{16}\.mirage-sandbox\.test$/)
      expect(yield* probesOf).toEqual(first)
    }))

  it.scoped("one failing name is skipped; every name failing is SourceUnavailable", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_brute")
      const mixed = yield* dnsBrute.open({ wordlist: ["broken"], use_builtin_wordlist: false, wildcard_probes: 0 }, ctx)
      const error = yield* Effect.flip(mixed.collect(domainTarget(world.domain)))
      expect(error._tag).toBe("SourceUnavailable")
      const some = yield* dnsBrute.open({ wordlist: ["broken", "www"], use_builtin_wordlist: false }, ctx)
      expect(names(yield* some.collect(domainTarget(world.domain)))).toEqual(["www.mirage-sandbox.test"])
    }))

  it.scoped("a name whose AAAA lookup fails but whose A answered is found", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("dns_brute")
      const flaky = {
        ...ctx,
        dns: { ...ctx.dns, resolve6: (name: string) => Effect.fail(new SourceUnavailable({ reason: `AAAA ${name}` })) }
      }
      const session = yield* dnsBrute.open({ wordlist: ["www"], use_builtin_wordlist: false }, flaky)
      expect(names(yield* session.collect(domainTarget(world.domain)))).toEqual(["www.mirage-sandbox.test"])
    }))

  it.scoped("validates its config", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("dns_brute")
      expect((yield* Effect.flip(dnsBrute.open({ wordlist: ["a.b"] }, ctx))).message).toContain("single DNS label")
      expect((yield* Effect.flip(dnsBrute.open({ concurrency: 0 }, ctx))).message).toContain("concurrency")
      expect((yield* Effect.flip(dnsBrute.open({ wildcard_probes: 11 }, ctx))).message).toContain("wildcard_probes")
    }))

  it.scoped(
    "prepares a 200,000-word list in linear time: duplicates and case folded, first occurrence kept",
    () =>
      Effect.gen(function*() {
        const { ctx, logs } = yield* worldWithContext("dns_brute")
        // Comparing every word with every kept one (Array.dedupe) would take minutes here and hold the event loop.
        const words = Array.from({ length: 200_000 }, (_, i) => (i % 3 === 0 ? `W${i}` : `w${i}`))
        const config = { wordlist: [...words, "WWW", "w0", "w1"], use_builtin_wordlist: true }
        yield* Effect.scoped(dnsBrute.open(config, ctx))
        expect(logs).toContainEqual({ message: "dns_brute session closed", fields: { lookups: 0 } })
        const slices = Array.from(wordSlices(Schema.decodeUnknownSync(DnsBruteConfig)(config)))
        expect(slices.flat()).toEqual([...builtinWordlist, ...words.map((word) => word.toLowerCase())])
        expect(slices.slice(0, -1).every((slice) => slice.length === batchSize)).toBe(true)
      }),
    20_000
  )

  it.scoped(
    "a wordlist of several slices: every word asked once, the same findings, in word order",
    () =>
      Effect.gen(function*() {
        const zone: Record<string, DnsServer.ZoneEntry> = { "big.example.test": { A: ["192.0.2.1"] } }
        const words = Array.from({ length: batchSize * 2 + 37 }, (_, i) => `w${i}`)
        const present = words.filter((_, i) => i % 97 === 0 || i === batchSize - 1 || i === batchSize)
        for (const word of present) zone[`${word}.big.example.test`] = { A: ["192.0.2.2"] }
        const server = yield* DnsServer.make(zone)
        const { ctx } = yield* contextFor("dns_brute", { dnsServers: [server.address] })
        const session = yield* dnsBrute.open(
          {
            wordlist: [...words, ...words.slice(0, 50)],
            use_builtin_wordlist: false,
            wildcard_probes: 0,
            concurrency: 20
          },
          ctx
        )
        const findings = yield* session.collect(domainTarget("big.example.test"))
        expect(findings.map((finding) => finding.value)).toEqual(present.map((word) => `${word}.big.example.test`))
        expect(server.questions()).toHaveLength(words.length * 2)
        expect(new Set(server.questions().map((q) => `${q.name} ${q.type}`)).size).toBe(words.length * 2)
      }),
    60_000
  )
})
