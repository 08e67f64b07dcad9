/**
 * A real DNS server over UDP and TCP (same port) for the fixture world: answers authoritatively
 * from a zone table, with the RFC 1035 wire format encoded and decoded here, so modules use their
 * real resolver; over TCP it also serves zone transfers (AXFR) of the zones it is told to allow.
 */
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

export const recordTypes = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, CAA: 257 } as const
/** The question type of a zone transfer (RFC 5936); only asked over TCP. */
export const AXFR = 252
type RecordType = keyof typeof recordTypes
const typeNames = new Map<number, RecordType>(
  Object.entries(recordTypes).map(([name, code]) => [code, name as RecordType])
)

export const rcodes = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, NOTAUTH: 9 } as const

const ttl = 300
const classIN = 1

const normalize = (name: string) => name.toLowerCase().replace(/\.$/, "")

/** The PTR name of an address: `10.2.0.192.in-addr.arpa` or the nibbles of an IPv6 address under ip6.arpa. */
export const reverseName = (ip: string): string => {
  if (isIPv4(ip)) return `${ip.split(".").reverse().join(".")}.in-addr.arpa`
  const hex = Array.from(ipv6Bytes(ip), (byte) => byte.toString(16).padStart(2, "0")).join("")
  return `${hex.split("").reverse().join(".")}.ip6.arpa`
}

// -- wire decoding ---------------------------------------------------------------------------

export interface Question {
  readonly name: string
  readonly type: number
  readonly class: number
}

export interface Query {
  readonly id: number
  readonly flags: number
  readonly questions: ReadonlyArray<Question>
  /** Where the question section ends: the response echoes the bytes before it. */
  readonly questionEnd: number
}

/** Reads a possibly compressed name (RFC 1035 §4.1.4); undefined when malformed or looping. */
export const readName = (
  message: Uint8Array,
  start: number
): { readonly name: string; readonly next: number } | undefined => {
  const labels: Array<string> = []
  let offset = start
  let next: number | undefined
  let jumps = 0
  let length = 0
  for (;;) {
    const size = message[offset]
    if (size === undefined) return undefined
    if ((size & 0xc0) === 0xc0) {
      const low = message[offset + 1]
      if (low === undefined || ++jumps > 32) return undefined
      next ??= offset + 2
      offset = ((size & 0x3f) << 8) | low
      continue
    }
    if ((size & 0xc0) !== 0) return undefined
    if (size === 0) return { name: labels.join("."), next: next ?? offset + 1 }
    if (offset + 1 + size > message.length) return undefined
    length += size + 1
    if (length > 255) return undefined
    labels.push(Buffer.from(message.subarray(offset + 1, offset + 1 + size)).toString("latin1"))
    offset += size + 1
  }
}

/** The header and question section of a message; undefined when too short or malformed. */
export const parseQuery = (message: Uint8Array): Query | undefined => {
  if (message.length < 12) return undefined
  const view = Buffer.from(message.buffer, message.byteOffset, message.byteLength)
  const count = view.readUInt16BE(4)
  const questions: Array<Question> = []
  let offset = 12
  for (let i = 0; i < count; i++) {
    const name = readName(message, offset)
    if (name === undefined || name.next + 4 > message.length) return undefined
    questions.push({ name: name.name, type: view.readUInt16BE(name.next), class: view.readUInt16BE(name.next + 2) })
    offset = name.next + 4
  }
  return { id: view.readUInt16BE(0), flags: view.readUInt16BE(2), questions, questionEnd: offset }
}

// -- wire encoding ---------------------------------------------------------------------------

/** A name as labels, uncompressed. */
export const encodeName = (name: string): Buffer => {
  const labels = normalize(name) === "" ? [] : name.replace(/\.$/, "").split(".")
  return Buffer.concat([
    ...labels.map((label) => {
      const bytes = Buffer.from(label, "latin1")
      return Buffer.concat([Buffer.from([bytes.length]), bytes])
    }),
    Buffer.from([0])
  ])
}

const u16 = (value: number) => {
  const buffer = Buffer.alloc(2)
  buffer.writeUInt16BE(value)
  return buffer
}

const u32 = (value: number) => {
  const buffer = Buffer.alloc(4)
  buffer.writeUInt32BE(value >>> 0)
  return buffer
}

function ipv6Bytes(ip: string): Buffer {
  const [head = "", tail] = ip.split("::")
  const words = (part: string) => (part === "" ? [] : part.split(":").map((word) => parseInt(word, 16)))
  const left = words(head)
  const right = tail === undefined ? [] : words(tail)
  const all = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
  return Buffer.concat(all.map(u16))
}

/** A TXT record's character-strings, each at most 255 bytes. */
const txtData = (value: string | ReadonlyArray<string>) => {
  const strings = typeof value === "string" ? [value] : value
  return Buffer.concat(strings.flatMap((text) => {
    const bytes = Buffer.from(text, "utf8")
    const chunks: Array<Buffer> = []
    for (let i = 0; i === 0 || i < bytes.length; i += 255) {
      const chunk = bytes.subarray(i, i + 255)
      chunks.push(Buffer.from([chunk.length]), chunk)
    }
    return chunks
  }))
}

interface Answer {
  readonly owner: string
  readonly type: RecordType
  readonly data: Buffer
}

const recordsOf = (owner: string, entry: ZoneEntry, type: RecordType): ReadonlyArray<Answer> => {
  const answer = (data: Buffer): Answer => ({ owner, type, data })
  switch (type) {
    case "A":
      return (entry.A ?? []).map((ip) => answer(Buffer.from(ip.split(".").map(Number))))
    case "AAAA":
      return (entry.AAAA ?? []).map((ip) => answer(ipv6Bytes(ip)))
    case "CNAME":
      return entry.CNAME === undefined ? [] : [answer(encodeName(entry.CNAME))]
    case "NS":
      return (entry.NS ?? []).map((name) => answer(encodeName(name)))
    case "PTR":
      return (entry.PTR ?? []).map((name) => answer(encodeName(name)))
    case "MX":
      return (entry.MX ?? []).map((mx) => answer(Buffer.concat([u16(mx.priority), encodeName(mx.exchange)])))
    case "TXT":
      return (entry.TXT ?? []).map((text) => answer(txtData(text)))
    case "CAA":
      return (entry.CAA ?? []).map((caa) => {
        const tag = Buffer.from(caa.tag, "ascii")
        return answer(Buffer.concat([Buffer.from([caa.flags, tag.length]), tag, Buffer.from(caa.value, "utf8")]))
      })
    case "SOA": {
      const soa = entry.SOA
      if (soa === undefined) return []
      return [
        answer(Buffer.concat([
          encodeName(soa.mname),
          encodeName(soa.rname),
          ...[soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum].map(u32)
        ]))
      ]
    }
  }
}

const encodeAnswer = (answer: Answer) =>
  Buffer.concat([
    encodeName(answer.owner),
    u16(recordTypes[answer.type]),
    u16(classIN),
    u32(ttl),
    u16(answer.data.length),
    answer.data
  ])

const response = (
  query: Query,
  raw: Uint8Array,
  rcode: number,
  answers: ReadonlyArray<Answer>,
  withQuestion = true
) => {
  // QR, the query's opcode and RD, AA (we are the zone's authority), RA.
  const flags = 0x8000 | (query.flags & 0x7800) | 0x0400 | (query.flags & 0x0100) | 0x0080 | rcode
  const header = Buffer.concat([
    u16(query.id),
    u16(flags),
    u16(withQuestion ? query.questions.length : 0),
    u16(answers.length),
    u16(0),
    u16(0)
  ])
  const question = withQuestion ? Buffer.from(raw.subarray(12, query.questionEnd)) : Buffer.alloc(0)
  return Buffer.concat([header, question, ...answers.map(encodeAnswer)])
}

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
  const query = parseQuery(raw)
  if (query === undefined) {
    // Too broken to parse: answer FORMERR if there is at least an id to answer to.
    if (raw.length < 12) return undefined
    const id = Buffer.from(raw.subarray(0, 2)).readUInt16BE(0)
    return Buffer.concat([u16(id), u16(0x8000 | rcodes.FORMERR), u16(0), u16(0), u16(0), u16(0)])
  }
  if ((query.flags & 0x8000) !== 0) return undefined
  if (((query.flags >> 11) & 0xf) !== 0) return response(query, raw, rcodes.NOTIMP, [])
  const question = query.questions[0]
  if (query.questions.length !== 1 || question === undefined) return response(query, raw, rcodes.FORMERR, [])
  const type = typeNames.get(question.type)
  const name = normalize(question.name)
  // AXFR is a TCP conversation (see `transfer`); over UDP it is not implemented.
  if (question.type === AXFR) return response(query, raw, rcodes.NOTIMP, [])
  const entry = zone.get(name) ?? wildcardFor(zone, name)
  if (entry === undefined) {
    return response(query, raw, hasNamesBelow(zone, name) ? rcodes.NOERROR : rcodes.NXDOMAIN, [])
  }
  if (entry.rcode !== undefined) return response(query, raw, rcodes[entry.rcode], [])
  if (type === undefined) return response(query, raw, rcodes.NOERROR, [])

  // Follow CNAMEs inside the zone as a resolver would, so an A question about an alias gets the address.
  const answers: Array<Answer> = []
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
  return response(query, raw, rcodes.NOERROR, answers)
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
  const query = parseQuery(raw)
  const question = query?.questions[0]
  if (query === undefined || question === undefined) return []
  const apex = normalize(question.name)
  if (!allowed.has(apex)) return [response(query, raw, rcodes.REFUSED, [])]
  const soa = zone.get(apex)
  if (soa?.SOA === undefined) return [response(query, raw, rcodes.NOTAUTH, [])]
  const [first] = recordsOf(apex, soa, "SOA")
  if (first === undefined) return [response(query, raw, rcodes.NOTAUTH, [])]
  const names = Array.from(zone.keys()).filter((name) => name === apex || name.endsWith(`.${apex}`)).sort()
  const records: Array<Answer> = [first]
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
    messages.push(response(query, raw, rcodes.NOERROR, records.slice(i, i + transferChunk), i === 0))
  }
  return messages
}

/** A DNS message framed for TCP: a two-byte length, then the message (RFC 1035 §4.2.2). */
const framed = (message: Buffer) => Buffer.concat([u16(message.length), message])

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
      const question = parseQuery(message)?.questions[0]
      if (question === undefined) return undefined
      const type = question.type === AXFR ? "AXFR" : typeNames.get(question.type) ?? String(question.type)
      asked.push({ name: normalize(question.name), type })
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
          if (question?.type === AXFR) {
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
