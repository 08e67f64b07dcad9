/** tls_certificate against the fixture world's TLS server: names by SNI and on open ports, and no service. */
import { describe, expect, it } from "@effect/vitest"
import { SourceUnavailable } from "@mirage/modules/Module"
import { subjectAltNames, tlsCertificate } from "@mirage/modules/modules/tls_certificate"
import * as TcpListeners from "@mirage/testkit/TcpListeners"
import * as TlsServer from "@mirage/testkit/TlsServer"
import { Effect, Fiber, TestClock } from "effect"
import { X509Certificate } from "node:crypto"
import { domainTarget, worldWithContext } from "./support.js"

const pairs = (findings: ReadonlyArray<{ readonly type: string; readonly value: string }>) =>
  findings.map(({ type, value }) => `${type} ${value}`).sort()

const port = (value: string) => ({ target: { type: "OPEN_PORT" as const, value } })

/** The served certificate's SHA-256, as the CERTIFICATE entity is written: lowercase hex without colons. */
const served = new X509Certificate(TlsServer.certificatePem())
const fingerprint = served.fingerprint256.replace(/:/g, "").toLowerCase()

const certificate = [
  `CERTIFICATE ${fingerprint}`,
  "DOMAIN mirage-sandbox.test",
  "DOMAIN portal.mirage-sandbox.test",
  "EMAIL hostmaster@mirage-sandbox.test",
  "EMAIL security@mirage-sandbox.test"
]

describe("tls_certificate", () => {
  it.scoped("reads the certificate served for a domain (SNI): its names and mailboxes", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("tls_certificate")
      const session = yield* tlsCertificate.open(world.moduleConfig["tls_certificate"], ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(pairs(findings)).toEqual(certificate)
      expect(world.services.tls.servernames()).toEqual(["mirage-sandbox.test"])
      const apex = findings.find((finding) => finding.value === "mirage-sandbox.test")
      expect(apex).toMatchObject({
        confidence: 0.9,
        metadata: { sni: "mirage-sandbox.test", self_signed: true, expired: false, field: "san", wildcard: false },
        source_data: { certificate: { subject: { CN: "mirage-sandbox.test" } } }
      })
      expect(findings.find((finding) => finding.value === "hostmaster@mirage-sandbox.test")?.metadata).toMatchObject({
        field: "subject_email"
      })
      // The certificate itself, for certificate_analysis: its validity, issuer and names.
      expect(findings.find((finding) => finding.type === "CERTIFICATE")).toMatchObject({
        value: fingerprint,
        confidence: 0.95,
        metadata: {
          not_before: new Date(served.validFrom).toISOString(),
          not_after: new Date(served.validTo).toISOString(),
          issuer: expect.stringContaining("CN=mirage-sandbox.test"),
          names: expect.arrayContaining(["mirage-sandbox.test", "portal.mirage-sandbox.test"]),
          sni: "mirage-sandbox.test"
        },
        source_data: { self_signed: true, expired: false }
      })
    }))

  it.scoped("reads the certificate on an open TLS port, without SNI", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("tls_certificate")
      const session = yield* tlsCertificate.open(world.moduleConfig["tls_certificate"], ctx)
      const findings = yield* session.collect(port(`192.0.2.10:${world.services.tls.port}`))
      expect(pairs(findings)).toEqual(certificate)
      expect(findings.find((finding) => finding.type === "DOMAIN")?.confidence).toBe(0.7)
      expect(world.services.tls.servernames()).toEqual([])
      expect(world.services.tls.connections()).toBe(1)
      // Not a TLS port: left alone.
      expect(yield* session.collect(port(`192.0.2.10:${world.services.ssh.port}`))).toEqual([])
      expect(world.services.ssh.connections()).toBe(0)
    }))

  it.scoped("no addresses, or addresses outside the map with only_mapped, mean no handshake", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("tls_certificate")
      const session = yield* tlsCertificate.open(world.moduleConfig["tls_certificate"], ctx)
      expect(yield* session.collect(domainTarget("portal.mirage-sandbox.test"))).toEqual([])
      expect(yield* session.collect(domainTarget("www.mirage-sandbox.test"))).toEqual([])
      expect(world.services.tls.connections()).toBe(0)
    }))

  it.scoped("an AAAA lookup that fails leaves the A addresses to connect to, with a warning", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("tls_certificate")
      const flaky = {
        ...ctx,
        dns: { ...ctx.dns, resolve6: (name: string) => Effect.fail(new SourceUnavailable({ reason: `AAAA ${name}` })) }
      }
      const session = yield* tlsCertificate.open(world.moduleConfig["tls_certificate"], flaky)
      expect(pairs(yield* session.collect(domainTarget(world.domain)))).toEqual(certificate)
      expect((yield* ctx.notes.summary).warnings).toEqual([expect.stringContaining("AAAA mirage-sandbox.test")])
      // Both failing is the task's failure.
      const dead = yield* tlsCertificate.open(world.moduleConfig["tls_certificate"], {
        ...flaky,
        dns: { ...flaky.dns, resolve4: (name: string) => Effect.fail(new SourceUnavailable({ reason: `A ${name}` })) }
      })
      expect(yield* Effect.flip(dead.collect(domainTarget(world.domain)))).toMatchObject({ _tag: "SourceUnavailable" })
    }))

  it.scoped("no TLS service (refused, or not TLS) is no findings, not an error", () =>
    Effect.gen(function*() {
      const { ctx, logs, world } = yield* worldWithContext("tls_certificate")
      const closed = yield* TcpListeners.closedPort
      // `only_mapped`: the domain's other address (its AAAA, 2001:db8::10) is not tried outside the loopback.
      const loopback = { address_map: { "192.0.2.10": "127.0.0.1" }, only_mapped: true }
      const refused = yield* tlsCertificate.open({ ...loopback, port: closed }, ctx)
      expect(yield* refused.collect(domainTarget(world.domain))).toEqual([])
      expect(logs.find((log) => log.message === "tls_certificate: no TLS service")?.fields).toMatchObject({
        reason: "ECONNREFUSED"
      })
      const plain = yield* tlsCertificate.open({ ...loopback, port: world.services.ssh.port }, ctx)
      expect(yield* plain.collect(domainTarget(world.domain))).toEqual([])
    }))

  it.scoped("a server that never completes the handshake times out on the clock", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("tls_certificate")
      const silent = yield* TcpListeners.silent
      const session = yield* tlsCertificate.open({
        address_map: { "192.0.2.10": "127.0.0.1" },
        only_mapped: true,
        port: silent.port,
        timeout_ms: 3_000
      }, ctx)
      const fiber = yield* Effect.fork(session.collect(domainTarget(world.domain)))
      while (silent.connections() === 0) yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      yield* TestClock.adjust("3 seconds")
      expect(yield* Fiber.join(fiber)).toEqual([])
    }))

  it("reads subjectAltName lists", () => {
    expect(subjectAltNames("DNS:a.example, DNS:*.b.example, email:x@a.example, IP Address:192.0.2.1")).toEqual([
      { kind: "DNS", value: "a.example" },
      { kind: "DNS", value: "*.b.example" },
      { kind: "email", value: "x@a.example" },
      { kind: "IP Address", value: "192.0.2.1" }
    ])
    expect(subjectAltNames(undefined)).toEqual([])
  })

  it.scoped("validates its config and its targets", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext("tls_certificate")
      expect((yield* Effect.flip(tlsCertificate.open({ port: 70000 }, ctx))).message).toContain("port")
      const map = yield* Effect.flip(tlsCertificate.open({ address_map: { "not-an-ip": "127.0.0.1" } }, ctx))
      expect(map.message).toContain("address_map.not-an-ip is unexpected")
      const to = yield* Effect.flip(tlsCertificate.open({ address_map: { "192.0.2.1": "localhost" } }, ctx))
      expect(to.message).toContain("must be an IP address")
      const session = yield* tlsCertificate.open({}, ctx)
      const wrong = yield* Effect.flip(session.collect({ target: { type: "IP", value: "192.0.2.10" } }))
      expect(wrong.message).toContain("does not take IP targets")
      expect((yield* Effect.flip(session.collect(port("example.test:443")))).message).toContain("invalid target")
    }))
})
