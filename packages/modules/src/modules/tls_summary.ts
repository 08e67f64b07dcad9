/**
 * tls_summary: which TLS versions a server accepts and the cipher it picks under each, one handshake per version
 * (TLS 1.0 to 1.3, the client pinned to that version and willing to use legacy ciphers), and the certificate it
 * presents as a CERTIFICATE (its SHA-256 fingerprint). The summary — versions, ciphers, legacy versions accepted —
 * enriches the DOMAIN or OPEN_PORT asked. A host that completes no handshake has no findings.
 */
import { canonicalize } from "@mirage/domain/Entity"
import { Effect, Either, Option, Schema } from "effect"
import { connect } from "node:tls"
import type { SecureVersion } from "node:tls"
import { addressMapFields, connectAddress } from "../internal/AddressMap.js"
import { addressesOf } from "../internal/Dns.js"
import { defineModule, type Finding, finding, ModuleConfigError } from "../Module.js"

export const TlsSummaryConfig = Schema.Struct({
  /** The port a domain's TLS service is asked on. */
  port: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 65535)), { default: () => 443, exact: true }),
  timeout_ms: Schema.optionalWith(Schema.Int.pipe(Schema.between(100, 60_000)), { default: () => 5_000, exact: true }),
  ...addressMapFields
})
export type TlsSummaryConfig = typeof TlsSummaryConfig.Type

export const versions: ReadonlyArray<SecureVersion> = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
const legacy: ReadonlyArray<string> = ["TLSv1", "TLSv1.1"]

export interface Handshake {
  readonly version: SecureVersion
  readonly cipher: string
  readonly fingerprint256: string | undefined
}

/** One handshake pinned to `version`; undefined when the server refuses it (or is not there). */
export const handshake = (
  host: string,
  port: number,
  version: SecureVersion,
  servername: string | undefined,
  timeoutMs: number
): Effect.Effect<Handshake | undefined> =>
  Effect.async<Handshake | undefined>((resume) => {
    let done = false
    const socket = connect({
      host,
      port,
      minVersion: version,
      maxVersion: version,
      // Asked to learn what the server accepts, not to trust it: legacy ciphers allowed, nothing verified.
      ciphers: "DEFAULT:@SECLEVEL=0",
      rejectUnauthorized: false,
      ...(servername === undefined ? {} : { servername })
    })
    const finish = (result: Handshake | undefined) => {
      if (done) return
      done = true
      socket.destroy()
      resume(Effect.succeed(result))
    }
    socket.once("secureConnect", () => {
      const certificate = socket.getPeerCertificate(false)
      finish({
        version,
        cipher: socket.getCipher().name,
        fingerprint256: Object.keys(certificate).length === 0 ? undefined : certificate.fingerprint256
      })
    })
    socket.once("error", () => finish(undefined))
    socket.once("close", () => finish(undefined))
    return Effect.sync(() => socket.destroy())
  }).pipe(Effect.timeoutTo({ duration: timeoutMs, onTimeout: () => undefined, onSuccess: (result) => result }))

export const summaryFindings = (
  target: { readonly type: "DOMAIN" | "OPEN_PORT"; readonly value: string },
  port: number,
  accepted: ReadonlyArray<Handshake>
): ReadonlyArray<Finding> => {
  if (accepted.length === 0) return []
  const summary = {
    port,
    tls_versions: accepted.map((h) => h.version),
    ciphers: Object.fromEntries(accepted.map((h) => [h.version, h.cipher])),
    legacy_versions: accepted.some((h) => legacy.includes(h.version)),
    tls13: accepted.some((h) => h.version === "TLSv1.3")
  }
  const fingerprint = accepted.find((h) => h.fingerprint256 !== undefined)?.fingerprint256
  return [
    ...Option.toArray(
      Option.map(
        finding(target.type, target.value, { confidence: 1, metadata: summary }),
        (found) => ({ ...found, enrichment: true })
      )
    ),
    ...(fingerprint === undefined ? [] : Option.toArray(
      finding("CERTIFICATE", fingerprint, { confidence: 1, metadata: { served_by: target.value, port } })
    ))
  ]
}

export const tlsSummary = defineModule({
  name: "tls_summary",
  title: "TLS versions and ciphers",
  description: "Tries each TLS version against a server: versions accepted, the cipher under each, its certificate",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN", "OPEN_PORT"],
  output_types: ["DOMAIN", "OPEN_PORT", "CERTIFICATE"],
  flags: ["active", "safe"],
  configSchema: TlsSummaryConfig,
  source: {
    id: "tls",
    name: "Targets' TLS services",
    rateLimit: { requests: 10, perSeconds: 1, burst: 20 },
    requiresKey: false,
    proxy: false
  },
  setup: (config, ctx) => Effect.succeed({ config, dns: ctx.dns, log: ctx.log, guard: ctx.guard }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const type = task.target.type
      if (type !== "DOMAIN" && type !== "OPEN_PORT") {
        return yield* new ModuleConfigError({ module: "tls_summary", reason: `does not take ${type} targets` })
      }
      const value = yield* Either.match(canonicalize(type, task.target.value), {
        onLeft: (reason) => Effect.fail(new ModuleConfigError({ module: "tls_summary", reason })),
        onRight: Effect.succeed
      })
      const at = value.lastIndexOf(":")
      const endpoint = type === "DOMAIN"
        ? {
          port: session.config.port,
          servername: value as string | undefined,
          ips: (yield* addressesOf(session.dns, value)).addresses
        }
        : {
          port: Number(value.slice(at + 1)),
          servername: undefined,
          ips: [value.slice(0, at).replace(/^\[(.*)\]$/, "$1")]
        }
      // The first address that answers speaks for the name.
      for (const ip of endpoint.ips) {
        const host = connectAddress(session.config, ip)
        if (Option.isNone(host)) continue
        if (session.guard !== undefined) yield* session.guard.check("tls_summary", host.value)
        const results = yield* Effect.forEach(versions, (version) =>
          handshake(host.value, endpoint.port, version, endpoint.servername, session.config.timeout_ms))
        const accepted = results.filter((r): r is Handshake =>
          r !== undefined
        )
        yield* session.log("tls_summary probed", { target: value, host: host.value, accepted: accepted.length })
        if (accepted.length > 0) return summaryFindings({ type, value }, endpoint.port, accepted)
      }
      return []
    })
})
