/**
 * dns_zone_transfer: asks a domain's name servers for the whole zone (AXFR, RFC 5936, DNS over
 * TCP) and reports its names and addresses. Most servers refuse: a refusal is an answer (no
 * findings), not an error. `nameservers` can name the servers to ask instead of the domain's NS
 * addresses (a hidden primary, or the test sandbox's server); either way only a domain that has
 * NS records, i.e. a zone apex, is transferred.
 */
import { Effect, Either, Option, Random, Ref, Schema } from "effect"
import { isIP, Socket } from "node:net"
import { addressesOf } from "../internal/Dns.js"
import { decodeMessage, encodeQuery } from "../internal/DnsWire.js"
import type { ResourceRecord } from "../internal/DnsWire.js"
import { BadResponse, defineModule, finding, SourceUnavailable, targetValue } from "../Module.js"
import type { CollectionNotes, DnsClient, Finding } from "../Module.js"
import { inScope } from "../Scope.js"

/** "ip" or "ip:port" ("[v6]:port"). */
const ServerAddress = Schema.String.pipe(
  Schema.filter((value) => parseServer(value, 53) !== undefined, { message: () => "must be an IP or IP:port" })
)

export const DnsZoneTransferConfig = Schema.Struct({
  /** The port name servers are asked on. */
  port: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 65535)), { default: () => 53, exact: true }),
  /** Ask these servers instead of the domain's NS addresses; empty asks the domain's own. */
  nameservers: Schema.optionalWith(Schema.Array(ServerAddress), { default: () => [], exact: true }),
  /** Per server: connecting and the whole transfer. */
  timeout_ms: Schema.optionalWith(Schema.Int.pipe(Schema.between(100, 600_000)), { default: () => 15_000, exact: true })
})
export type DnsZoneTransferConfig = typeof DnsZoneTransferConfig.Type

interface Server {
  readonly host: string
  readonly port: number
  readonly ns: string
}

function parseServer(value: string, defaultPort: number): { readonly host: string; readonly port: number } | undefined {
  if (isIP(value) !== 0) return { host: value, port: defaultPort }
  const match = /^\[(.+)\]:(\d{1,5})$/.exec(value) ?? /^([^:]+):(\d{1,5})$/.exec(value)
  if (match === null || isIP(match[1]!) === 0) return undefined
  const port = Number(match[2])
  return port >= 1 && port <= 65535 ? { host: match[1]!, port } : undefined
}

export type TransferResult =
  | { readonly _tag: "Transferred"; readonly records: ReadonlyArray<ResourceRecord> }
  | { readonly _tag: "Refused"; readonly reason: string }
  | { readonly _tag: "Unreachable"; readonly reason: string }
  | { readonly _tag: "Malformed"; readonly reason: string }

const codeOf = (cause: unknown) =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : String(cause)

/**
 * One AXFR conversation: the query with its two-byte length, then messages until the zone's
 * SOA comes round again. A closed connection or an rcode before any record is a refusal.
 */
export const transferZone = (
  server: { readonly host: string; readonly port: number },
  zone: string,
  id: number,
  timeoutMs: number
): Effect.Effect<TransferResult> =>
  Effect.async<TransferResult>((resume) => {
    const socket = new Socket()
    const records: Array<ResourceRecord> = []
    let soas = 0
    let pending = Buffer.alloc(0)
    let done = false
    const finish = (result: TransferResult) => {
      if (done) return
      done = true
      socket.destroy()
      resume(Effect.succeed(result))
    }
    socket.on("error", (error) =>
      finish({ _tag: "Unreachable", reason: `${server.host}:${server.port} ${codeOf(error)}` }))
    socket.on("close", () =>
      finish(
        records.length === 0
          ? { _tag: "Refused", reason: "connection closed without an answer" }
          : { _tag: "Malformed", reason: "connection closed in the middle of the transfer" }
      ))
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const length = pending.readUInt16BE(0)
        const message = decodeMessage(pending.subarray(2, 2 + length))
        pending = pending.subarray(2 + length)
        if (message === undefined) {
          return finish({ _tag: "Malformed", reason: "unreadable DNS message" })
        }
        if (message.id !== id) {
          return finish({ _tag: "Malformed", reason: "answer to another query" })
        }
        if (message.rcode !== "NOERROR") {
          return finish({ _tag: "Refused", reason: message.rcode })
        }
        for (const record of message.answers) {
          if (records.length === 0 && record.data.type !== "SOA") {
            return finish({ _tag: "Malformed", reason: "transfer does not start with the SOA" })
          }
          records.push(record)
          if (record.data.type === "SOA" && ++soas === 2) {
            return finish({ _tag: "Transferred", records })
          }
        }
      }
    })
    socket.connect(server.port, server.host, () => {
      socket.write(encodeQuery(id, zone, "AXFR"))
    })
    return Effect.sync(() =>
      socket.destroy()
    )
  }).pipe(
    Effect.timeoutTo({
      duration: timeoutMs,
      onTimeout: (): TransferResult => ({ _tag: "Unreachable", reason: `${server.host}:${server.port} timed out` }),
      onSuccess: (result) => result
    })
  )

/** The names (owners and those records point to) and addresses in a transferred zone. */
export const zoneFindings = (
  records: ReadonlyArray<ResourceRecord>,
  zone: string,
  ns: string
): ReadonlyArray<Finding> => {
  const found = new Map<string, Finding>()
  const add = (type: "DOMAIN" | "IP", value: string, record: ResourceRecord) => {
    if (type === "DOMAIN" && (value.startsWith("*.") || value.toLowerCase() === zone)) return
    Option.map(
      finding(type, value, {
        confidence: 1,
        source_data: { owner: record.name, ...record.data },
        metadata: { record_type: record.data.type, zone, nameserver: ns }
      }),
      (item) => {
        if (!found.has(`${item.type}:${item.value}`)) found.set(`${item.type}:${item.value}`, item)
      }
    )
  }
  for (const record of records) {
    const data = record.data
    if (!inScope(record.name, zone) || data.type === "SOA" || data.type === "OTHER") continue
    // `_dmarc`, `_domainkey`, `_sip._tcp`: attribute leaves of the zone, not hosts.
    if (!record.name.split(".").some((label) => label.startsWith("_"))) add("DOMAIN", record.name, record)
    if (data.type === "A" || data.type === "AAAA") add("IP", data.address, record)
    if (data.type === "CNAME" || data.type === "NS") add("DOMAIN", data.name, record)
    if (data.type === "MX") add("DOMAIN", data.exchange, record)
  }
  return Array.from(found.values())
}

/**
 * The addresses of the zone's name servers. A lookup that fails is a warning while other servers'
 * addresses are known (they are tried all the same); every lookup failing is the task's failure.
 */
const nameServerAddresses = (dns: DnsClient, notes: CollectionNotes, names: ReadonlyArray<string>, port: number) =>
  Effect.gen(function*() {
    const resolved = yield* Effect.forEach(names, (ns) => addressesOf(dns, ns), { concurrency: 4 })
    const servers = resolved.flatMap(({ addresses }, i) => addresses.map((host) => ({ host, port, ns: names[i]! })))
    const failures = resolved.flatMap(({ failures }) => failures)
    if (servers.length === 0 && failures[0] !== undefined) return yield* failures[0]
    for (const error of failures) yield* notes.warn(`a name server's address lookup failed: ${error.message}`)
    return servers
  })

export const dnsZoneTransfer = defineModule({
  name: "dns_zone_transfer",
  description: "Tries a zone transfer (AXFR) from a domain's name servers and reports the zone's names and addresses",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN", "IP"],
  flags: ["active", "aggressive"],
  configSchema: DnsZoneTransferConfig,
  default_config: { port: 53, nameservers: [], timeout_ms: 15_000 },
  source: {
    id: "dns_axfr",
    name: "Authoritative name servers (AXFR over TCP)",
    rateLimit: { requests: 5, perSeconds: 1, burst: 10 },
    requiresKey: false,
    proxy: false
  },
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Ref.get(attempts), (count) => ctx.log("dns_zone_transfer session closed", { attempts: count }))
      )
      return { config, dns: ctx.dns, log: ctx.log, notes: ctx.notes, attempts, guard: ctx.guard }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const zone = yield* targetValue("dns_zone_transfer", task, "DOMAIN")
      const { config, dns } = session
      const nsNames = yield* dns.resolveNs(zone)
      if (nsNames.length === 0) return []

      const servers: ReadonlyArray<Server> = config.nameservers.length > 0
        ? config.nameservers.flatMap((value) => {
          const parsed = parseServer(value, config.port)
          return parsed === undefined ? [] : [{ ...parsed, ns: value }]
        })
        : yield* nameServerAddresses(dns, session.notes, nsNames, config.port)

      const outcomes: Array<Exclude<TransferResult, { readonly _tag: "Transferred" }>> = []
      for (const server of servers) {
        // The servers are address literals (resolved above, or configured), so the guard's check is the connect's.
        const scoped = session.guard === undefined
          ? Either.void
          : yield* Effect.either(session.guard.check("dns_zone_transfer", server.host))
        if (Either.isLeft(scoped)) {
          yield* session.log("dns_zone_transfer: name server out of scope", {
            zone,
            server: `${server.host}:${server.port}`,
            reason: scoped.left.reason
          })
          continue
        }
        yield* Ref.update(session.attempts, (n) => n + 1)
        const id = yield* Random.nextIntBetween(0, 0x10000)
        const result = yield* transferZone(server, zone, id, config.timeout_ms)
        yield* session.log("dns_zone_transfer attempt", {
          zone,
          server: `${server.host}:${server.port}`,
          result: result._tag
        })
        if (result._tag === "Transferred") return zoneFindings(result.records, zone, server.ns)
        outcomes.push(result)
      }
      const reasons = outcomes.map((outcome) => outcome.reason).join("; ")
      if (outcomes.length > 0 && outcomes.every((outcome) => outcome._tag === "Unreachable")) {
        return yield* new SourceUnavailable({ reason: `AXFR ${zone}: no name server reachable (${reasons})` })
      }
      if (outcomes.some((outcome) => outcome._tag === "Malformed") && !outcomes.some((o) => o._tag === "Refused")) {
        return yield* new BadResponse({ reason: `AXFR ${zone}: ${reasons}` })
      }
      return []
    })
})
