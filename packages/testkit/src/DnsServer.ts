/**
 * A real DNS server over UDP and TCP (same port) for the fixture world: answers authoritatively
 * from a zone table, the wire format read and written by `dns-packet`, so modules use their
 * real resolver; over TCP it also serves zone transfers (AXFR) of the zones it is told to allow.
 */
import * as DnsPacket from "dns-packet"
import { Effect } from "effect"
import type { Scope } from "effect"
import { createSocket } from "node:dgram"
import { createServer, isIPv4 } from "node:net"
import type { Server, Socket } from "node:net"

export interface SoaData {
  readonly mname: string
  readonly rname: string
  readonly serial: number
  readonly refresh: number
  readonly retry: number
  readonly expire: number
  readonly minimum: number
}

/** The records of one name. `rcode` makes every question about the name fail that way. */
export interface ZoneEntry {
  readonly A?: ReadonlyArray<string>
  readonly AAAA?: ReadonlyArray<string>
  readonly CNAME?: string
  readonly MX?: ReadonlyArray<{ readonly priority: number; readonly exchange: string }>
  readonly NS?: ReadonlyArray<string>
  /** Each record is one string or its character-strings. */
  readonly TXT?: ReadonlyArray<string | ReadonlyArray<string>>
  readonly SOA?: SoaData
  readonly PTR?: ReadonlyArray<string>
  /** Certification authority authorization (RFC 8659): `0 issue "letsencrypt.org"`. */
  readonly CAA?: ReadonlyArray<{ readonly flags: number; readonly tag: string; readonly value: string }>
  readonly rcode?: "SERVFAIL" | "REFUSED"
}

/** Names (any case, trailing dot optional) to their records; `*.name` is a wildcard (RFC 4592). */
export type Zone = Readonly<Record<string, ZoneEntry>>

export interface DnsServerOptions {
  /** Zone apexes whose AXFR over TCP is allowed; every other transfer is REFUSED. None by default. */
  readonly allowTransfer?: ReadonlyArray<string>
}

export interface DnsServer {
  /** "127.0.0.1:PORT", the form resolvers' `setServers` takes. */
  readonly address: string
  readonly port: number
  /** Packets received so far. */
  readonly queries: () => number
  /** The questions asked so far (UDP and TCP), e.g. `{ name: "www.example.test", type: "A" }`. */
  readonly questions: () => ReadonlyArray<{ readonly name: string; readonly type: string }>
  /** When each of those questions arrived (wall-clock ms, in the same order): for rate checks. */
  readonly askedAt: () => ReadonlyArray<number>
  /** AXFR requests received over TCP, allowed or not. */
  readonly transfers: () => ReadonlyArray<{ readonly zone: string; readonly allowed: boolean }>
}

export const recordTypes = ["A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "CAA"] as const
type RecordType = (typeof recordTypes)[number]
const isRecordType = (type: string): type is RecordType => (recordTypes as ReadonlyArray<string>).includes(type)

export const rcodes = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, NOTAUTH: 9 } as const

const ttl = 300

const normalize = (name: string) => name.toLowerCase().replace(/\.$/, "")

/** The PTR name of an address: `10.2.0.192.in-addr.arpa` or the nibbles of an IPv6 address under ip6.arpa. */
export const reverseName = (ip: string): string => {
  if (isIPv4(ip)) return `${ip.split(".").reverse().join(".")}.in-addr.arpa`
  const [head = "", tail] = ip.split("::")
  const words = (part: string) => (part === "" ? [] : part.split(":"))
  const left = words(head)
  const right = tail === undefined ? [] : words(tail)
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right]
  const hex = all.map((word) => word.padStart(4, "0")).join("")
  return `${hex.split("").reverse().join(".")}.ip6.arpa`
}

/** A query as dns-packet reads it; undefined when the message is malformed. */
const decode = (message: Uint8Array): DnsPacket.Packet | undefined => {
  try {
    return DnsPacket.decode(Buffer.from(message.buffer, message.byteOffset, message.byteLength))
  } catch {
    return undefined
  }
}

/** A TXT record's character-strings, each at most 255 bytes. */
const txtData = (value: string | ReadonlyArray<string>): Array<Buffer> =>
  (typeof value === "string" ? [value] : value).flatMap((text) => {
    const bytes = Buffer.from(text, "utf8")
    const chunks: Array<Buffer> = []
    for (let i = 0; i === 0 || i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255))
    return chunks
  })

const recordsOf = (owner: string, entry: ZoneEntry, type: RecordType): Array<DnsPacket.Answer> => {
  const common = { name: owner, ttl, class: "IN" as const }
  switch (type) {
    case "A":
    case "AAAA":
      return (entry[type] ?? []).map((data) => ({ ...common, type, data }))
    case "NS":
    case "PTR":
      return (entry[type] ?? []).map((data) => ({ ...common, type, data }))
    case "CNAME":
      return entry.CNAME === undefined ? [] : [{ ...common, type, data: entry.CNAME }]
    case "MX":
      return (entry.MX ?? []).map((mx) => ({
        ...common,
        type,
        data: { preference: mx.priority, exchange: mx.exchange }
      }))
    case "TXT":
      return (entry.TXT ?? []).map((text) => ({ ...common, type, data: txtData(text) }))
    case "CAA":
      // dns-packet's declarations know three tags; it writes any (RFC 8659 allows others), as a CAA server must.
      return (entry.CAA ?? []).map((caa) => ({
        ...common,
        type,
        data: { ...caa, tag: caa.tag as "issue", issuerCritical: (caa.flags & 128) !== 0 }
      }))
    case "SOA":
      return entry.SOA === undefined ? [] : [{ ...common, type, data: { ...entry.SOA } }]
  }
}

/** The response to `query`: authoritative, with its opcode and RD echoed, recursion available. */
const response = (
  query: DnsPacket.Packet,
  rcode: number,
  answers: ReadonlyArray<DnsPacket.Answer>,
  withQuestion = true
): Buffer =>
  DnsPacket.encode({
    type: "response",
    id: query.id ?? 0,
    flags: ((query.flags ?? 0) & 0x7800) | DnsPacket.AUTHORITATIVE_ANSWER |
      ((query.flags ?? 0) & DnsPacket.RECURSION_DESIRED)
      | DnsPacket.RECURSION_AVAILABLE | rcode,
    questions: withQuestion ? query.questions ?? [] : [],
    answers: [...answers]
  })

// -- answering -------------------------------------------------------------------------------

/** The zone with normalized names, so lookups ignore case and trailing dots. */
const indexZone = (zone: Zone): ReadonlyMap<string, ZoneEntry> =>
  new Map(Object.entries(zone).map(([name, entry]) => [normalize(name), entry]))

/** A name with names below it exists (an empty non-terminal): NODATA, not NXDOMAIN. */
const hasNamesBelow = (zone: ReadonlyMap<string, ZoneEntry>, name: string) =>
  Array.from(zone.keys()).some((known) => known.endsWith(`.${name}`))

/**
 * The wildcard that synthesizes an answer for a name that does not exist: `*.` under its
 * closest encloser, the nearest ancestor that exists (RFC 4592 §3.3.1).
 */
const wildcardFor = (zone: ReadonlyMap<string, ZoneEntry>, name: string): ZoneEntry | undefined => {
  if (hasNamesBelow(zone, name)) return undefined
  const labels = name.split(".")
  for (let i = 1; i < labels.length; i++) {
    const ancestor = labels.slice(i).join(".")
    if (zone.has(ancestor) || hasNamesBelow(zone, ancestor)) return zone.get(`*.${ancestor}`)
  }
  return undefined
}

/** The response to a query message, as an authoritative server for `zone` would send it. */
export const answer = (zone: ReadonlyMap<string, ZoneEntry>, raw: Uint8Array): Buffer | undefined => {
  const query = decode(raw)
  if (query === undefined) {
    // Too broken to parse: answer FORMERR if there is at least a header to answer to.
    if (raw.length < 12) return undefined
    const id = Buffer.from(raw.subarray(0, 2)).readUInt16BE(0)
    return DnsPacket.encode({ type: "response", id, flags: rcodes.FORMERR, questions: [], answers: [] })
  }
  if (query.type === "response") return undefined
  if (((query.flags ?? 0) >> 11 & 0xf) !== 0) return response(query, rcodes.NOTIMP, [])
  const question = query.questions?.[0]
  if (query.questions?.length !== 1 || question === undefined) return response(query, rcodes.FORMERR, [])
  const name = normalize(question.name)
  // AXFR is a TCP conversation (see `transfer`); over UDP it is not implemented.
  if (question.type === "AXFR") return response(query, rcodes.NOTIMP, [])
  const entry = zone.get(name) ?? wildcardFor(zone, name)
  if (entry === undefined) return response(query, hasNamesBelow(zone, name) ? rcodes.NOERROR : rcodes.NXDOMAIN, [])
  if (entry.rcode !== undefined) return response(query, rcodes[entry.rcode], [])
  const type = question.type
  if (!isRecordType(type)) return response(query, rcodes.NOERROR, [])

  // Follow CNAMEs inside the zone as a resolver would, so an A question about an alias gets the address.
  const answers: Array<DnsPacket.Answer> = []
  let owner = question.name
  let current: ZoneEntry | undefined = entry
  for (let hops = 0; current !== undefined && hops < 8; hops++) {
    if (current.CNAME === undefined || type === "CNAME") {
      answers.push(...recordsOf(owner, current, type))
      break
    }
    answers.push(...recordsOf(owner, current, "CNAME"))
    owner = current.CNAME
    current = zone.get(normalize(owner))
  }
  return response(query, rcodes.NOERROR, answers)
}

// -- zone transfers --------------------------------------------------------------------------

/** Answers per message of a transfer: small, so clients must read a transfer of several messages. */
const transferChunk = 8

/**
 * The messages answering an AXFR query (RFC 5936): the zone's SOA, every record at or below the
 * apex, the SOA again. REFUSED when `allowed` does not include the zone, NOTAUTH when it is not one.
 */
export const transfer = (
  zone: ReadonlyMap<string, ZoneEntry>,
  raw: Uint8Array,
  allowed: ReadonlySet<string>
): ReadonlyArray<Buffer> => {
  const query = decode(raw)
  const question = query?.questions?.[0]
  if (query === undefined || question === undefined) return []
  const apex = normalize(question.name)
  if (!allowed.has(apex)) return [response(query, rcodes.REFUSED, [])]
  const soa = zone.get(apex)
  const [first] = soa === undefined ? [] : recordsOf(apex, soa, "SOA")
  if (first === undefined) return [response(query, rcodes.NOTAUTH, [])]
  const names = Array.from(zone.keys()).filter((name) => name === apex || name.endsWith(`.${apex}`)).sort()
  const records: Array<DnsPacket.Answer> = [first]
  for (const name of names) {
    const entry = zone.get(name)
    if (entry === undefined || entry.rcode !== undefined) continue
    for (const type of ["NS", "MX", "TXT", "A", "AAAA", "CNAME", "PTR"] as const) {
      records.push(...recordsOf(name, entry, type))
    }
  }
  records.push(first)
  const messages: Array<Buffer> = []
  for (let i = 0; i < records.length; i += transferChunk) {
    messages.push(response(query, rcodes.NOERROR, records.slice(i, i + transferChunk), i === 0))
  }
  return messages
}

/** A DNS message framed for TCP: a two-byte length, then the message (RFC 1035 §4.2.2). */
const framed = (message: Buffer) => {
  const length = Buffer.alloc(2)
  length.writeUInt16BE(message.length)
  return Buffer.concat([length, message])
}

// -- the servers -----------------------------------------------------------------------------

const bindUdp = (port: number) =>
  Effect.async<ReturnType<typeof createSocket>, NodeJS.ErrnoException>((resume) => {
    const socket = createSocket("udp4")
    socket.once("error", (error) => resume(Effect.fail(error)))
    socket.bind(port, "127.0.0.1", () => resume(Effect.succeed(socket)))
  })

const listenTcp = (server: Server, port: number) =>
  Effect.async<Server, NodeJS.ErrnoException>((resume) => {
    server.once("error", (error) => resume(Effect.fail(error)))
    server.listen(port, "127.0.0.1", () => resume(Effect.succeed(server)))
  })

const closeUdp = (socket: ReturnType<typeof createSocket>) =>
  Effect.async<void>((resume) => {
    socket.close(() => resume(Effect.void))
  })

const closeTcp = (server: Server, connections: Set<Socket>) =>
  Effect.async<void>((resume) => {
    for (const connection of connections) connection.destroy()
    server.close(() => resume(Effect.void))
  })

/**
 * Starts the server on 127.0.0.1 with an ephemeral port, UDP and TCP on the same port number
 * as real servers have; closing the Scope stops it.
 */
export const make = (zone: Zone, options: DnsServerOptions = {}): Effect.Effect<DnsServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const table = indexZone(zone)
    const allowed = new Set((options.allowTransfer ?? []).map(normalize))
    let received = 0
    const asked: Array<{ readonly name: string; readonly type: string }> = []
    const arrivals: Array<number> = []
    const transfers: Array<{ readonly zone: string; readonly allowed: boolean }> = []
    const note = (message: Uint8Array) => {
      received++
      const question = decode(message)?.questions?.[0]
      if (question === undefined) return undefined
      asked.push({ name: normalize(question.name), type: question.type })
      arrivals.push(Date.now())
      return question
    }

    const connections = new Set<Socket>()
    const tcp = createServer((connection) => {
      connections.add(connection)
      connection.on("close", () => connections.delete(connection))
      connection.on("error", () => connection.destroy())
      let pending = Buffer.alloc(0)
      connection.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk])
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          const message = pending.subarray(2, 2 + pending.readUInt16BE(0))
          pending = pending.subarray(2 + message.length)
          const question = note(message)
          if (question?.type === "AXFR") {
            const apex = normalize(question.name)
            transfers.push({ zone: apex, allowed: allowed.has(apex) })
            for (const reply of transfer(table, message, allowed)) connection.write(framed(reply))
          } else {
            const reply = answer(table, message)
            if (reply !== undefined) connection.write(framed(reply))
          }
        }
      })
    })

    // UDP takes an ephemeral port, TCP the same number; if that one is taken over TCP, try again.
    const { socket } = yield* Effect.acquireRelease(
      Effect.gen(function*() {
        const socket = yield* bindUdp(0)
        const port = socket.address().port
        return yield* listenTcp(tcp, port).pipe(
          Effect.as({ socket }),
          Effect.tapError(() => closeUdp(socket))
        )
      }).pipe(Effect.retry({ times: 20 }), Effect.orDie),
      ({ socket }) => Effect.zipRight(closeUdp(socket), closeTcp(tcp, connections))
    )
    socket.on("message", (message, peer) => {
      note(message)
      const reply = answer(table, message)
      if (reply !== undefined) socket.send(reply, peer.port, peer.address)
    })
    const port = socket.address().port
    return {
      address: `127.0.0.1:${port}`,
      port,
      queries: () => received,
      questions: () => asked.slice(),
      askedAt: () => arrivals.slice(),
      transfers: () => transfers.slice()
    }
  })
