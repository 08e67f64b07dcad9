/** The fixture DNS server answers a real node:dns resolver over UDP, and reads the wire format correctly. */
import { describe, expect, it } from "@effect/vitest"
import * as DnsServer from "@mirage/testkit/DnsServer"
import * as DnsPacket from "dns-packet"
import { Effect } from "effect"
import { promises as dns } from "node:dns"
import { Socket } from "node:net"

const zone: DnsServer.Zone = {
  "Example.TEST.": {
    A: ["192.0.2.1", "192.0.2.2"],
    AAAA: ["2001:db8::1"],
    MX: [{ priority: 10, exchange: "mx.example.test" }, { priority: 20, exchange: "mx2.example.test" }],
    NS: ["ns1.example.test", "ns2.example.test"],
    TXT: ["v=spf1 -all", ["part one ", "part two"], "x".repeat(300)],
    SOA: {
      mname: "ns1.example.test",
      rname: "hostmaster.example.test",
      serial: 2025010101,
      refresh: 3600,
      retry: 600,
      expire: 604800,
      minimum: 60
    }
  },
  "alias.example.test": { CNAME: "www.example.test" },
  "www.example.test": { A: ["192.0.2.80"] },
  "deep.below.example.test": { A: ["192.0.2.99"] },
  "broken.example.test": { rcode: "SERVFAIL" },
  [DnsServer.reverseName("192.0.2.1")]: { PTR: ["example.test"] },
  [DnsServer.reverseName("2001:db8::1")]: { PTR: ["example.test"] }
}

const resolverFor = (server: DnsServer.DnsServer) => {
  const resolver = new dns.Resolver({ timeout: 2_000, tries: 1 })
  resolver.setServers([server.address])
  return resolver
}

/** The answer, or the resolver's error code (ENOTFOUND is NXDOMAIN, ENODATA is NOERROR without records). */
const ask = <A>(run: () => Promise<A>) =>
  Effect.promise(() =>
    run().then(
      (value) => ({ ok: true as const, value }),
      (error: NodeJS.ErrnoException) => ({ ok: false as const, code: error.code })
    )
  )

describe("DnsServer", () => {
  it.scoped("answers a node:dns resolver with the zone's records", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone)
      const resolver = resolverFor(server)
      expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/)

      expect(yield* ask(() => resolver.resolve4("example.test"))).toEqual({
        ok: true,
        value: ["192.0.2.1", "192.0.2.2"]
      })
      expect(yield* ask(() => resolver.resolve6("EXAMPLE.test"))).toEqual({ ok: true, value: ["2001:db8::1"] })
      expect(yield* ask(() => resolver.resolveMx("example.test"))).toEqual({
        ok: true,
        value: [{ exchange: "mx.example.test", priority: 10 }, { exchange: "mx2.example.test", priority: 20 }]
      })
      expect(yield* ask(() => resolver.resolveNs("example.test"))).toEqual({
        ok: true,
        value: ["ns1.example.test", "ns2.example.test"]
      })
      expect(yield* ask(() => resolver.resolveTxt("example.test"))).toEqual({
        ok: true,
        // Strings longer than 255 bytes are split into several character-strings.
        value: [["v=spf1 -all"], ["part one ", "part two"], ["x".repeat(255), "x".repeat(45)]]
      })
      expect(yield* ask(() => resolver.resolveSoa("example.test"))).toEqual({
        ok: true,
        value: {
          nsname: "ns1.example.test",
          hostmaster: "hostmaster.example.test",
          serial: 2025010101,
          refresh: 3600,
          retry: 600,
          expire: 604800,
          minttl: 60
        }
      })
      expect(yield* ask(() => resolver.reverse("192.0.2.1"))).toEqual({ ok: true, value: ["example.test"] })
      expect(yield* ask(() => resolver.reverse("2001:db8::1"))).toEqual({ ok: true, value: ["example.test"] })
      expect(server.queries()).toBe(8)
      expect(server.questions()[0]).toEqual({ name: "example.test", type: "A" })
    }))

  it.scoped("follows CNAMEs inside the zone", () =>
    Effect.gen(function*() {
      const resolver = resolverFor(yield* DnsServer.make(zone))
      expect(yield* ask(() => resolver.resolveCname("alias.example.test"))).toEqual({
        ok: true,
        value: ["www.example.test"]
      })
      expect(yield* ask(() => resolver.resolve4("alias.example.test"))).toEqual({ ok: true, value: ["192.0.2.80"] })
    }))

  it.scoped("NXDOMAIN for unknown names, NODATA for known names without the type, SERVFAIL on demand", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone)
      const resolver = resolverFor(server)
      expect(yield* ask(() => resolver.resolve4("nowhere.example.test"))).toEqual({ ok: false, code: "ENOTFOUND" })
      expect(yield* ask(() => resolver.resolve6("www.example.test"))).toEqual({ ok: false, code: "ENODATA" })
      expect(yield* ask(() => resolver.resolveMx("www.example.test"))).toEqual({ ok: false, code: "ENODATA" })
      // An empty non-terminal exists: it has names below it.
      expect(yield* ask(() => resolver.resolve4("below.example.test"))).toEqual({ ok: false, code: "ENODATA" })
      expect(yield* ask(() => resolver.resolve4("broken.example.test"))).toEqual({ ok: false, code: "ESERVFAIL" })
      expect(server.queries()).toBe(5)
    }))

  it.scoped("stops answering when its scope closes", () =>
    Effect.gen(function*() {
      const address = yield* Effect.scoped(Effect.map(DnsServer.make(zone), (server) => server.address))
      const resolver = new dns.Resolver({ timeout: 200, tries: 1 })
      resolver.setServers([address])
      const result = yield* ask(() => resolver.resolve4("example.test"))
      expect(result.ok).toBe(false)
    }))
})

describe("DNS wire format", () => {
  const header = (questions: number) => Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, questions, 0, 0, 0, 0, 0, 0])
  const zoneIndex = new Map(Object.entries({ "example.test": { A: ["192.0.2.1"] } }))
  const rcodeOf = (reply: Buffer | undefined) => (reply?.readUInt16BE(2) ?? 0) & 0x000f

  it("answers FORMERR to an unparsable query (a pointer loop, a truncated name) and to several questions", () => {
    const loop = DnsServer.answer(zoneIndex, Buffer.concat([header(1), Buffer.from([0xc0, 12, 0, 1, 0, 1])]))
    expect(loop?.readUInt16BE(0)).toBe(0x1234)
    expect(rcodeOf(loop)).toBe(DnsServer.rcodes.FORMERR)
    const truncated = Buffer.concat([header(1), Buffer.from([7]), Buffer.from("exam")])
    expect(rcodeOf(DnsServer.answer(zoneIndex, truncated))).toBe(DnsServer.rcodes.FORMERR)
    expect(DnsServer.answer(zoneIndex, Buffer.from([1, 2, 3]))).toBeUndefined()

    const two = DnsPacket.encode({
      type: "query",
      id: 5,
      questions: [{ type: "A", name: "example.test" }, { type: "A", name: "example.test" }]
    })
    expect(rcodeOf(DnsServer.answer(zoneIndex, two))).toBe(DnsServer.rcodes.FORMERR)
  })
})

/** A query for one question, as bytes. */
const query = (id: number, name: string, type: DnsPacket.RecordType) =>
  DnsPacket.encode({ type: "query", id, questions: [{ type, name }] })

/** Sends one query over TCP and reads messages until `done` says the conversation is over or the server hangs up. */
const overTcp = (server: DnsServer.DnsServer, message: Buffer, done: (replies: ReadonlyArray<Buffer>) => boolean) =>
  Effect.async<ReadonlyArray<Buffer>>((resume) => {
    const socket = new Socket()
    const replies: Array<Buffer> = []
    let pending = Buffer.alloc(0)
    const finish = () => {
      socket.destroy()
      resume(Effect.succeed(replies))
    }
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)))
        pending = pending.subarray(2 + pending.readUInt16BE(0))
      }
      if (done(replies)) finish()
    })
    socket.on("close", finish)
    socket.connect(
      server.port,
      "127.0.0.1",
      () => socket.write(Buffer.concat([Buffer.from([0, message.length]), message]))
    )
    return Effect.sync(() => socket.destroy())
  })

/** The record types of a message's answers. */
const answerTypes = (message: Buffer): ReadonlyArray<string> =>
  (DnsPacket.decode(message).answers ?? []).map((a) => a.type)

describe("DnsServer over TCP", () => {
  it.scoped("answers queries over TCP on the UDP port's number", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone)
      const [reply] = yield* overTcp(server, query(7, "www.example.test", "A"), (replies) => replies.length === 1)
      expect(reply?.readUInt16BE(0)).toBe(7)
      expect(answerTypes(reply!)).toEqual(["A"])
      expect(server.questions()).toEqual([{ name: "www.example.test", type: "A" }])
    }))

  it.scoped("transfers an allowed zone: SOA first and last, over several messages", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone, { allowTransfer: ["example.test"] })
      const isSoa = (type: string) => type === "SOA"
      const replies = yield* overTcp(
        server,
        query(9, "example.test", "AXFR"),
        (all) => all.flatMap(answerTypes).filter(isSoa).length === 2
      )
      expect(replies.length).toBeGreaterThan(1)
      const types = replies.flatMap(answerTypes)
      expect(isSoa(types[0]!) && isSoa(types[types.length - 1]!)).toBe(true)
      // Every record of every name at or below the apex (the broken name has none), the SOA twice.
      expect(types.length).toBe(15)
      expect(replies.every((reply) => reply.readUInt16BE(0) === 9 && (reply.readUInt16BE(2) & 0xf) === 0)).toBe(true)
      expect(server.transfers()).toEqual([{ zone: "example.test", allowed: true }])
    }))

  it.scoped("refuses other transfers, and AXFR over UDP is not implemented", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone, { allowTransfer: ["other.test"] })
      const [refused] = yield* overTcp(server, query(3, "example.test", "AXFR"), (all) => all.length === 1)
      expect((refused?.readUInt16BE(2) ?? 0) & 0xf).toBe(DnsServer.rcodes.REFUSED)
      expect(server.transfers()).toEqual([{ zone: "example.test", allowed: false }])
      const table = new Map(Object.entries({ "example.test": zone["Example.TEST."]! }))
      const udp = DnsServer.answer(table, query(4, "example.test", "AXFR"))
      expect((udp?.readUInt16BE(2) ?? 0) & 0xf).toBe(DnsServer.rcodes.NOTIMP)
    }))
})

describe("DnsServer wildcards", () => {
  const wild: DnsServer.Zone = {
    "wild.test": { A: ["192.0.2.1"] },
    "*.wild.test": { A: ["192.0.2.66"] },
    "www.wild.test": { A: ["192.0.2.80"] },
    "deep.sub.wild.test": { A: ["192.0.2.90"] }
  }

  it.scoped("synthesizes answers for names that do not exist, not for those that do", () =>
    Effect.gen(function*() {
      const resolver = resolverFor(yield* DnsServer.make(wild))
      expect(yield* ask(() => resolver.resolve4("anything.wild.test"))).toEqual({ ok: true, value: ["192.0.2.66"] })
      expect(yield* ask(() => resolver.resolve4("www.wild.test"))).toEqual({ ok: true, value: ["192.0.2.80"] })
      // sub.wild.test exists (an empty non-terminal): it is the closest encloser of x.sub, which has no wildcard.
      expect(yield* ask(() => resolver.resolve4("sub.wild.test"))).toEqual({ ok: false, code: "ENODATA" })
      expect(yield* ask(() => resolver.resolve4("x.sub.wild.test"))).toEqual({ ok: false, code: "ENOTFOUND" })
      expect(yield* ask(() => resolver.resolve4("other.test"))).toEqual({ ok: false, code: "ENOTFOUND" })
    }))
})
