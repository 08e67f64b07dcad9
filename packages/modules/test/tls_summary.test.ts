/** tls_summary against local TLS servers: the versions each accepts, the cipher under each, its certificate. */
import { describe, expect, it } from "@effect/vitest"
import { summaryFindings, tlsSummary } from "@mirage/modules/modules/tls_summary"
import * as TlsServer from "@mirage/testkit/TlsServer"
import { Effect } from "effect"
import { X509Certificate } from "node:crypto"
import { contextFor } from "./support.js"

const fingerprint = () => new X509Certificate(TlsServer.certificatePem()).fingerprint256.replace(/:/g, "").toLowerCase()

const portOf = (server: TlsServer.TlsServer) => ({
  target: { type: "OPEN_PORT" as const, value: `${server.host}:${server.port}` }
})

describe("tls_summary", () => {
  it.scoped("a modern server: TLS 1.2 and 1.3, no legacy version; its certificate by fingerprint", () =>
    Effect.gen(function*() {
      const server = yield* TlsServer.make
      const { ctx } = yield* contextFor("tls_summary", { dnsServers: [] })
      const findings = yield* (yield* tlsSummary.open({}, ctx)).collect(portOf(server))
      expect(findings.map((f) => f.type)).toEqual(["OPEN_PORT", "CERTIFICATE"])
      expect(findings[0]?.enrichment).toBe(true)
      expect(findings[0]?.metadata).toMatchObject({
        tls_versions: ["TLSv1.2", "TLSv1.3"],
        legacy_versions: false,
        tls13: true
      })
      expect(Object.keys(findings[0]?.metadata["ciphers"] as object)).toEqual(["TLSv1.2", "TLSv1.3"])
      expect(findings[1]?.value).toBe(fingerprint())
      // One handshake per version tried: four connections.
      expect(server.connections()).toBe(4)
    }))

  it.scoped("a server stuck on TLS 1.0-1.2: legacy versions flagged, no TLS 1.3", () =>
    Effect.gen(function*() {
      const server = yield* TlsServer.makeWith({ minVersion: "TLSv1", maxVersion: "TLSv1.2" })
      const { ctx } = yield* contextFor("tls_summary", { dnsServers: [] })
      const findings = yield* (yield* tlsSummary.open({}, ctx)).collect(portOf(server))
      const versions = findings[0]?.metadata["tls_versions"] as ReadonlyArray<string>
      expect(versions).toContain("TLSv1.2")
      expect(versions).not.toContain("TLSv1.3")
      // Whether this OpenSSL build still speaks TLS 1.0 decides the flag; whatever it says, it says it consistently.
      expect(findings[0]?.metadata["legacy_versions"]).toBe(versions.includes("TLSv1") || versions.includes("TLSv1.1"))
      expect(findings[0]?.metadata["tls13"]).toBe(false)
    }))

  it.scoped("nothing listening is no findings; a target of another type is refused", () =>
    Effect.gen(function*() {
      const { ctx } = yield* contextFor("tls_summary", { dnsServers: [] })
      const session = yield* tlsSummary.open({ timeout_ms: 500 }, ctx)
      expect(yield* session.collect({ target: { type: "OPEN_PORT", value: "127.0.0.1:1" } })).toEqual([])
      const refused = yield* Effect.flip(
        tlsSummary.open({}, ctx).pipe(
          Effect.flatMap((s) => s.collect({ target: { type: "IP", value: "127.0.0.1" } }))
        )
      )
      expect(refused._tag).toBe("ModuleConfigError")
      expect(summaryFindings({ type: "OPEN_PORT", value: "127.0.0.1:443" }, 443, [])).toEqual([])
    }))
})
