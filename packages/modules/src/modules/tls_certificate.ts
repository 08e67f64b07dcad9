/**
 * tls_certificate: the certificate a TLS server presents for a name (SNI) or on an open port,
 * read, not trusted: the CERTIFICATE itself (its SHA-256 fingerprint, validity, issuer and names),
 * and the names (SAN DNS names, DOMAIN) and mailboxes (SAN emails, subject emailAddress, EMAIL) it
 * covers. No TLS service there is no findings, not an error.
 */
import { canonicalize } from "@mirage/domain/Entity"
import { Array as Arr, Clock, Effect, Either, Option, Ref, Schema } from "effect"
import { connect } from "node:tls"
import type { PeerCertificate } from "node:tls"
import { addressMapFields, connectAddress } from "../internal/AddressMap.js"
import { certificateFindings as certificateEntities, distinguishedName } from "../internal/Certificates.js"
import { addressesOf } from "../internal/Dns.js"
import { uniqueBy } from "../internal/Unique.js"
import { defineModule, finding, ModuleConfigError } from "../Module.js"
import type { CollectionNotes, DnsClient, Finding, ModuleTask } from "../Module.js"
import { inScope } from "../Scope.js"

const Port = Schema.Int.pipe(Schema.between(1, 65535))

export const TlsCertificateConfig = Schema.Struct({
  /** The port a domain's TLS service is asked on. */
  port: Schema.optionalWith(Port, { default: () => 443, exact: true }),
  /** Open ports (besides `port`) that are read as TLS services. */
  tls_ports: Schema.optionalWith(Schema.Array(Port), { default: () => [443, 8443, 465, 993, 995], exact: true }),
  /** Connecting and the handshake. */
  timeout_ms: Schema.optionalWith(Schema.Int.pipe(Schema.between(100, 120_000)), {
    default: () => 10_000,
    exact: true
  }),
  ...addressMapFields
})
export type TlsCertificateConfig = typeof TlsCertificateConfig.Type

export type Handshake =
  | { readonly _tag: "Certificate"; readonly certificate: PeerCertificate }
  | { readonly _tag: "NoService"; readonly reason: string }

const codeOf = (cause: unknown) =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : cause instanceof Error
    ? cause.message
    : String(cause)

/** A TLS handshake that reads the peer's certificate and hangs up; anything else is NoService. */
export const readCertificate = (
  host: string,
  port: number,
  servername: string | undefined,
  timeoutMs: number
): Effect.Effect<Handshake> =>
  Effect.async<Handshake>((resume) => {
    let done = false
    const socket = connect({
      host,
      port,
      // We read what is served, we do not vouch for it.
      rejectUnauthorized: false,
      ...(servername === undefined ? {} : { servername })
    })
    const finish = (result: Handshake) => {
      if (done) return
      done = true
      socket.destroy()
      resume(Effect.succeed(result))
    }
    socket.once("secureConnect", () => {
      const certificate = socket.getPeerCertificate(false)
      finish(
        Object.keys(certificate).length === 0
          ? { _tag: "NoService", reason: "no certificate presented" }
          : { _tag: "Certificate", certificate }
      )
    })
    socket.once("error", (error) => finish({ _tag: "NoService", reason: codeOf(error) }))
    socket.once("close", () => finish({ _tag: "NoService", reason: "closed before the handshake" }))
    return Effect.sync(() => socket.destroy())
  }).pipe(
    Effect.timeoutTo({
      duration: timeoutMs,
      onTimeout: (): Handshake => ({ _tag: "NoService", reason: "timed out" }),
      onSuccess: (result) => result
    })
  )

const fieldValues = (value: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : typeof value === "string" ? [value] : value

/** `DNS:a, DNS:b, email:c, IP Address:d` as (kind, value) pairs. */
export const subjectAltNames = (
  text: string | undefined
): ReadonlyArray<{ readonly kind: string; readonly value: string }> =>
  (text ?? "").split(/,\s*/).flatMap((entry) => {
    const at = entry.indexOf(":")
    return at <= 0 ? [] : [{ kind: entry.slice(0, at).trim(), value: entry.slice(at + 1).trim() }]
  })

/** The CERTIFICATE served, and its DOMAIN and EMAIL identities, `*.` wildcards reduced to their parent name. */
export const certificateFindings = (
  certificate: PeerCertificate,
  context: { readonly scope: string | undefined; readonly served: Record<string, unknown>; readonly now: number }
): ReadonlyArray<Finding> => {
  const sans = subjectAltNames(certificate.subjectaltname)
  const names = [
    ...sans.filter((san) => san.kind === "DNS").map((san) => ({ value: san.value, from: "san" })),
    ...fieldValues(certificate.subject?.CN).map((value) => ({ value, from: "subject_cn" }))
  ]
  const emails = [
    ...sans.filter((san) => san.kind === "email").map((san) => ({ value: san.value, from: "san" })),
    ...fieldValues(certificate.subject?.emailAddress).map((value) => ({ value, from: "subject_email" }))
  ]
  const validTo = Date.parse(certificate.valid_to)
  const summary = {
    subject: certificate.subject,
    issuer: certificate.issuer,
    valid_from: certificate.valid_from,
    valid_to: certificate.valid_to,
    serial_number: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256
  }
  const metadata = {
    ...context.served,
    self_signed: JSON.stringify(certificate.subject) === JSON.stringify(certificate.issuer),
    expired: !Number.isNaN(validTo) && validTo < context.now,
    // What correlation rules read: when it ends (ISO 8601), and which certificate it is.
    valid_to: Number.isNaN(validTo) ? certificate.valid_to : new Date(validTo).toISOString(),
    fingerprint256: certificate.fingerprint256
  }
  const isoDate = (text: string) => (Number.isNaN(Date.parse(text)) ? text : new Date(Date.parse(text)).toISOString())
  const served = certificateEntities([{
    sha256: certificate.fingerprint256,
    names: names.map((name) => name.value),
    not_before: isoDate(certificate.valid_from),
    not_after: isoDate(certificate.valid_to),
    issuer: distinguishedName(certificate.issuer)
  }], { max: 1, confidence: 0.95 }).map((found) => ({
    ...found,
    // Whether it is self-signed or expired stays in the source data: the certificate rules read those of the names.
    source_data: { certificate: summary, self_signed: metadata.self_signed, expired: metadata.expired },
    metadata: { ...found.metadata, ...context.served }
  }))
  const scoped = (host: string) => context.scope === undefined ? 0.7 : inScope(host, context.scope) ? 0.9 : 0.6
  const findings: Array<Finding> = [...served]
  for (const name of names) {
    const wildcard = name.value.startsWith("*.")
    Option.map(finding("DOMAIN", name.value.replace(/^(\*\.)+/, ""), { confidence: 0 }), (found) =>
      findings.push({
        ...found,
        confidence: scoped(found.value),
        source_data: { certificate: summary },
        metadata: { ...metadata, field: name.from, wildcard }
      }))
  }
  for (const email of emails) {
    Option.map(finding("EMAIL", email.value, { confidence: 0 }), (found) =>
      findings.push({
        ...found,
        confidence: scoped(found.value.slice(found.value.lastIndexOf("@") + 1)),
        source_data: { certificate: summary },
        metadata: { ...metadata, field: email.from }
      }))
  }
  return uniqueBy(findings, (found) => `${found.type}:${found.value}`)
}

/** The scope a name's certificate is judged against: the name without leading `www.`/wildcards. */
const scopeOf = (name: string) => name.replace(/^www\./, "")

/** Where to connect for the task: a domain's addresses on `port`, or the open port itself. */
const endpointsFor = (
  config: TlsCertificateConfig,
  dns: DnsClient,
  notes: CollectionNotes,
  task: ModuleTask
) =>
  Effect.gen(function*() {
    const invalid = (reason: string) => new ModuleConfigError({ module: "tls_certificate", reason })
    if (task.target.type === "DOMAIN") {
      const name = yield* Either.match(canonicalize("DOMAIN", task.target.value), {
        onLeft: (reason) => Effect.fail(invalid(`invalid target: ${reason}`)),
        onRight: Effect.succeed
      })
      // One family failing (a broken AAAA delegation) leaves the other's addresses to connect to.
      const { addresses, failures } = yield* addressesOf(dns, name)
      if (addresses.length === 0 && failures[0] !== undefined) return yield* failures[0]
      for (const error of failures) yield* notes.warn(`an address lookup failed: ${error.message}`)
      return {
        servername: name as string | undefined,
        scope: scopeOf(name) as string | undefined,
        port: config.port,
        hosts: Arr.filterMap(addresses, (ip) => connectAddress(config, ip)),
        label: name
      }
    }
    const value = yield* Either.match(canonicalize("OPEN_PORT", task.target.value), {
      onLeft: (reason) => Effect.fail(invalid(`invalid target: ${reason}`)),
      onRight: Effect.succeed
    })
    const at = value.lastIndexOf(":")
    const ip = value.slice(0, at).replace(/^\[(.*)\]$/, "$1")
    const port = Number(value.slice(at + 1))
    const tls = port === config.port || config.tls_ports.includes(port)
    return {
      servername: undefined,
      scope: undefined,
      port,
      hosts: tls ? Option.toArray(connectAddress(config, ip)) : [],
      label: value
    }
  })

export const tlsCertificate = defineModule({
  name: "tls_certificate",
  description:
    "Reads the TLS certificate served for a domain (SNI) or on an open port: the certificate, its names and emails",
  version: "1.1.0",
  author: "Mirage Team",
  input_types: ["DOMAIN", "OPEN_PORT"],
  output_types: ["CERTIFICATE", "DOMAIN", "EMAIL"],
  flags: ["active", "safe"],
  configSchema: TlsCertificateConfig,
  default_config: {
    port: 443,
    tls_ports: [443, 8443, 465, 993, 995],
    timeout_ms: 10_000,
    address_map: {},
    only_mapped: false
  },
  source: {
    id: "tls",
    name: "Targets' TLS services",
    rateLimit: { requests: 10, perSeconds: 1, burst: 20 },
    requiresKey: false,
    proxy: false
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const handshakes = yield* Ref.make(0)
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Ref.get(handshakes), (count) => ctx.log("tls_certificate session closed", { handshakes: count }))
      )
      return { config, dns: ctx.dns, log: ctx.log, notes: ctx.notes, handshakes, guard: ctx.guard }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      if (task.target.type !== "DOMAIN" && task.target.type !== "OPEN_PORT") {
        return yield* new ModuleConfigError({
          module: "tls_certificate",
          reason: `expected a DOMAIN or OPEN_PORT target, got ${task.target.type}`
        })
      }
      const target = yield* endpointsFor(session.config, session.dns, session.notes, task)
      // Several addresses serve one name the same way, as a rule: the first that answers speaks for them.
      for (const host of target.hosts) {
        // The addresses are literals (resolved above), so the guard's check is the connect's.
        if (session.guard !== undefined) yield* session.guard.check("tls_certificate", host)
        yield* Ref.update(session.handshakes, (n) => n + 1)
        const result = yield* readCertificate(host, target.port, target.servername, session.config.timeout_ms)
        if (result._tag === "NoService") {
          yield* session.log("tls_certificate: no TLS service", { target: target.label, host, reason: result.reason })
          continue
        }
        const now = yield* Clock.currentTimeMillis
        return certificateFindings(result.certificate, {
          scope: target.scope,
          now,
          served: { target: target.label, port: target.port, ...(target.servername ? { sni: target.servername } : {}) }
        })
      }
      return []
    })
})
