/**
 * The scope guard: which addresses are refused and which an allow-list or the sandbox lets
 * through, DNS rebinding caught at connect time (a stub resolver that changes its answer), and
 * the refusal reaching modules as a ModuleConfigError, never a connection.
 */
import { describe, expect, it } from "@effect/vitest"
import { makeHttpClient } from "@mirage/modules/HttpClient"
import { makeModuleContext } from "@mirage/modules/ModuleContext"
import { portScanTcp } from "@mirage/modules/modules/port_scan_tcp"
import * as DnsServer from "@mirage/testkit/DnsServer"
import { ConfigProvider, Effect, Either, Layer, Option } from "effect"
import type { LookupAddress } from "node:dns"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import type { NetworkPolicy, Resolve } from "../../src/collection/ScopeGuard.js"
import {
  checkAddresses,
  checkHost,
  defaultPolicy,
  guardedLookup,
  layer,
  literalRefusal,
  make,
  makeDispatcher,
  makePolicy,
  refusal,
  ScopeGuard
} from "../../src/collection/ScopeGuard.js"

const configLayer = (env: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const policyOf = (options: Parameters<typeof makePolicy>[0]): NetworkPolicy =>
  Either.getOrElse(makePolicy(options), () => defaultPolicy)

/** Answers each lookup with the next of `answers` (the last one repeats): a rebinding DNS server. */
const rebinding = (answers: ReadonlyArray<string>) => {
  let calls = 0
  const resolve: Resolve = (_hostname) => {
    const address = answers[Math.min(calls, answers.length - 1)] ?? "0.0.0.0"
    calls += 1
    return Promise.resolve([{ address, family: address.includes(":") ? 6 : 4 }])
  }
  return { resolve, calls: () => calls }
}

const lookupOnce = (lookup: ReturnType<typeof guardedLookup>, hostname: string) =>
  Effect.async<ReadonlyArray<LookupAddress>, NodeJS.ErrnoException>((resume) => {
    lookup(hostname, { all: true }, (error, addresses) => {
      if (error !== null) return resume(Effect.fail(error))
      resume(Effect.succeed(typeof addresses === "string" ? [{ address: addresses, family: 4 }] : addresses))
    })
  })

/** A local server that closes every connection, so each request is a new connect. */
const server = Effect.acquireRelease(
  Effect.async<{ readonly port: number; readonly close: () => void }>((resume) => {
    const http = createServer((_request, response) => {
      response.writeHead(200, { connection: "close", "content-type": "text/plain" })
      response.end("inside")
    })
    http.listen(
      0,
      "127.0.0.1",
      () => resume(Effect.succeed({ port: (http.address() as AddressInfo).port, close: () => http.close() }))
    )
  }),
  (running) => Effect.sync(running.close)
)

describe("ScopeGuard", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["[::ffff:7f00:1]", "loopback"],
    ["169.254.169.254", "link-local"],
    ["10.1.2.3", "private"],
    ["172.16.5.4", "private"],
    ["192.168.0.1", "private"],
    ["fd00::1", "unique local"],
    ["fe80::1%eth0", "link-local"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["0.0.0.0", "this network"],
    ["100.64.0.1", "CGNAT"],
    ["192.0.2.10", "documentation"],
    ["2001:db8::10", "documentation"],
    ["255.255.255.255", "reserved"],
    ["198.18.0.1", "benchmarking"]
  ])("refuses %s (%s) by default", (address, kind) => {
    const refused = refusal(defaultPolicy, address)
    expect(Option.isSome(refused)).toBe(true)
    expect(Option.getOrElse(refused, () => "")).toContain(kind)
  })

  it.each(["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("lets %s through", (address) => {
    expect(refusal(defaultPolicy, address)).toEqual(Option.none())
  })

  it("an operator allow-list lets its networks through, and only those", () => {
    const policy = policyOf({ allow: ["10.20.0.0/16", "fd12::/16"] })
    expect(refusal(policy, "10.20.3.4")).toEqual(Option.none())
    expect(refusal(policy, "fd12::5")).toEqual(Option.none())
    expect(Option.isSome(refusal(policy, "10.21.0.1"))).toBe(true)
    expect(Option.isSome(refusal(policy, "169.254.169.254"))).toBe(true)
    expect(Either.isLeft(makePolicy({ allow: ["10.0.0.0/33"] }))).toBe(true)
    expect(Either.isLeft(makePolicy({ allow: ["not-a-network"] }))).toBe(true)
  })

  it("the sandbox allows loopback and nothing else: not the documentation ranges its world names", () => {
    const sandbox = policyOf({ sandbox: true })
    for (const address of ["127.0.0.1", "127.4.5.6", "::1", "::ffff:127.0.0.1"]) {
      expect(refusal(sandbox, address)).toEqual(Option.none())
    }
    const refused = ["192.0.2.10", "198.51.100.25", "203.0.113.5", "2001:db8::10", "8.8.8.8", "10.0.0.1", "fd00::1"]
    for (const address of [...refused, "169.254.169.254", "192.168.1.1"]) {
      expect(Option.isSome(refusal(sandbox, address))).toBe(true)
    }
  })

  it.effect("DNS rebinding: a name answering public, then loopback, is refused on the second lookup", () =>
    Effect.gen(function*() {
      const dns = rebinding(["93.184.216.34", "127.0.0.1"])
      const lookup = guardedLookup(defaultPolicy, dns.resolve)
      expect(yield* lookupOnce(lookup, "rebind.example")).toEqual([{ address: "93.184.216.34", family: 4 }])
      const second = yield* Effect.flip(lookupOnce(lookup, "rebind.example"))
      expect(second.code).toBe("ERR_MIRAGE_OUT_OF_SCOPE")
      expect(second.message).toContain("127.0.0.1 is loopback")
    }))

  it.scoped("DNS rebinding through HTTP: the second connect, to a private address, never happens", () =>
    Effect.gen(function*() {
      const { port } = yield* server
      const dns = rebinding(["127.0.0.1", "10.0.0.1"])
      const dispatcher = makeDispatcher(policyOf({ allow: ["127.0.0.0/8"] }), dns.resolve)
      yield* Effect.addFinalizer(() => Effect.promise(() => dispatcher.close()))
      const http = makeHttpClient({ label: "probe", dispatcher, timeoutMs: 5_000 })
      const first = yield* http.get(`http://rebind.example:${port}/`)
      expect(first.body).toBe("inside")
      const second = yield* Effect.flip(http.get(`http://rebind.example:${port}/`))
      expect(second._tag).toBe("ModuleConfigError")
      expect(second.message).toContain("10.0.0.1 is private")
      expect(dns.calls()).toBe(2)
    }))

  it.scoped("an address literal is checked too: loopback and the metadata service are refused", () =>
    Effect.gen(function*() {
      const { port } = yield* server
      const dispatcher = makeDispatcher(defaultPolicy)
      yield* Effect.addFinalizer(() => Effect.promise(() => dispatcher.close()))
      const http = makeHttpClient({ label: "probe", dispatcher, timeoutMs: 5_000 })
      const loopback = yield* Effect.flip(http.get(`http://127.0.0.1:${port}/`))
      expect(loopback._tag).toBe("ModuleConfigError")
      const metadata = yield* Effect.flip(http.get("http://169.254.169.254/latest/meta-data/"))
      expect(metadata._tag).toBe("ModuleConfigError")
      expect(metadata.message).toContain("cloud metadata")
      // Allowed by the operator, the same server answers.
      const allowed = makeDispatcher(policyOf({ allow: ["127.0.0.1/32"] }))
      yield* Effect.addFinalizer(() => Effect.promise(() => allowed.close()))
      const ok = yield* makeHttpClient({ label: "probe", dispatcher: allowed }).get(`http://127.0.0.1:${port}/`)
      expect(ok.status).toBe(200)
    }))

  it.effect("raw sockets' hosts are checked the same way, names by what they resolve to", () =>
    Effect.gen(function*() {
      const check = checkHost(defaultPolicy, rebinding(["169.254.169.254"]).resolve)
      const literal = yield* Effect.flip(check("port_scan_tcp", "10.0.0.5"))
      expect(literal.reason).toContain("10.0.0.5 is private")
      const named = yield* Effect.flip(check("tls_certificate", "metadata.internal"))
      expect(named.reason).toContain("169.254.169.254")
      yield* checkHost(defaultPolicy)("port_scan_tcp", "8.8.8.8")
      // An IPv6 literal as a URL writes it is checked as the address it is.
      const bracketed = yield* Effect.flip(check("port_scan_tcp", "[::1]"))
      expect(bracketed.reason).toContain("::1 is loopback")
    }))

  it.effect("a host's addresses and the first refusal among them; a name that does not resolve has none", () =>
    Effect.gen(function*() {
      const resolve: Resolve = () =>
        Promise.resolve([{ address: "93.184.215.14", family: 4 }, { address: "10.0.0.7", family: 4 }])
      const named = yield* checkAddresses(defaultPolicy, resolve, "mixed.example")
      expect(named.addresses).toEqual(["93.184.215.14", "10.0.0.7"])
      expect(Option.getOrUndefined(named.refused)).toContain("10.0.0.7 is private")
      const literal = yield* checkAddresses(defaultPolicy, resolve, "[fe80::1]")
      expect([literal.addresses, Option.getOrUndefined(literal.refused)]).toEqual([
        ["fe80::1"],
        expect.stringContaining("link-local")
      ])
      const nowhere = yield* checkAddresses(defaultPolicy, () => Promise.reject(new Error("ENOTFOUND")), "x.invalid")
      expect([nowhere.addresses, Option.isNone(nowhere.refused)]).toEqual([[], true])
      expect(Option.getOrUndefined(literalRefusal(defaultPolicy, "[::ffff:10.0.0.1]"))).toContain("private")
      expect(Option.isNone(literalRefusal(defaultPolicy, "metadata.internal"))).toBe(true)
    }))

  it.scoped("port_scan_tcp connects to no address the policy refuses, whatever address_map says", () =>
    Effect.gen(function*() {
      const { port } = yield* server
      const scan = (policy: NetworkPolicy, mapped: string) =>
        Effect.gen(function*() {
          const guard = yield* make(policy)
          const ctx = yield* makeModuleContext({ module: "port_scan_tcp", endpoints: { dnsServers: [] }, guard })
          const session = yield* portScanTcp.open({ ports: [port], address_map: { "93.184.216.34": mapped } }, ctx)
          return yield* session.collect({ target: { type: "IP", value: "93.184.216.34" } })
        })
      const metadata = yield* Effect.flip(scan(defaultPolicy, "169.254.169.254"))
      expect(metadata.message).toContain("cloud metadata")
      const loopback = yield* Effect.flip(scan(defaultPolicy, "127.0.0.1"))
      expect(loopback._tag).toBe("ModuleConfigError")
      // The sandbox allows loopback: the same scan finds the server's port.
      const found = yield* scan(policyOf({ sandbox: true }), "127.0.0.1")
      expect(found.map((finding) => finding.value)).toEqual([`93.184.216.34:${port}`])
    }))

  it.scoped("the sandbox guard resolves names only through its loopback DNS server, and refuses what they name", () =>
    Effect.gen(function*() {
      const dns = yield* DnsServer.make({
        "host.sandbox.test": { A: ["192.0.2.10"] },
        "local.sandbox.test": { A: ["127.0.0.9"] }
      })
      const guard = yield* Effect.provide(
        ScopeGuard,
        layer.pipe(Layer.provide(configLayer({ MIRAGE_SANDBOX: "1", MIRAGE_DNS_SERVERS: dns.address })))
      )
      const refused = yield* Effect.flip(guard.check("http_probe", "host.sandbox.test"))
      expect(refused.reason).toContain("192.0.2.10")
      yield* guard.check("http_probe", "local.sandbox.test")
      expect(yield* lookupOnce(guard.lookup, "local.sandbox.test")).toEqual([{ address: "127.0.0.9", family: 4 }])
      expect(dns.questions().map((question) => question.name)).toContain("host.sandbox.test")
      // An address literal outside loopback never gets as far as a connect.
      const literal = yield* Effect.flip(guard.check("port_scan_tcp", "198.51.100.25"))
      expect(literal.reason).toContain("198.51.100.25")
    }))

  it.effect("a sandbox whose DNS servers are missing or not loopback does not start", () =>
    Effect.gen(function*() {
      const build = (env: Record<string, string>) =>
        Effect.flip(Effect.scoped(Layer.build(layer.pipe(Layer.provide(configLayer(env))))))
      const missing = yield* build({ MIRAGE_SANDBOX: "1" })
      expect(String(missing)).toContain("MIRAGE_DNS_SERVERS")
      const outside = yield* build({ MIRAGE_SANDBOX: "1", MIRAGE_DNS_SERVERS: "127.0.0.1:5353,192.0.2.53" })
      expect(String(outside)).toContain("192.0.2.53")
    }))
})
