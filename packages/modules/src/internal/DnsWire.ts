/**
 * The DNS wire format (RFC 1035 §4) as far as modules speak it themselves: building a query
 * and reading the records of a response, for conversations node:dns does not offer (AXFR).
 */

export const rrTypes = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, AXFR: 252 } as const

export const rcodeNames: Readonly<Record<number, string>> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  9: "NOTAUTH"
}

export type RecordData =
  | { readonly type: "A" | "AAAA"; readonly address: string }
  | { readonly type: "NS" | "CNAME" | "PTR"; readonly name: string }
  | { readonly type: "MX"; readonly priority: number; readonly exchange: string }
  | { readonly type: "TXT"; readonly strings: ReadonlyArray<string> }
  | {
    readonly type: "SOA"
    readonly mname: string
    readonly rname: string
    readonly serial: number
  }
  | { readonly type: "OTHER"; readonly code: number }

export interface ResourceRecord {
  readonly name: string
  readonly ttl: number
  readonly data: RecordData
}

export interface Message {
  readonly id: number
  readonly flags: number
  readonly rcode: number
  readonly answers: ReadonlyArray<ResourceRecord>
}

/** A query for one question, class IN, recursion not desired (we ask authorities). */
export const encodeQuery = (id: number, name: string, type: number): Buffer => {
  const labels = name.replace(/\.$/, "").split(".").filter((label) => label.length > 0)
  const header = Buffer.alloc(12)
  header.writeUInt16BE(id & 0xffff, 0)
  header.writeUInt16BE(0, 2)
  header.writeUInt16BE(1, 4)
  const qname = Buffer.concat([
    ...labels.map((label) =>
      Buffer.concat([Buffer.from([Buffer.byteLength(label, "latin1")]), Buffer.from(label, "latin1")])
    ),
    Buffer.from([0])
  ])
  const tail = Buffer.alloc(4)
  tail.writeUInt16BE(type, 0)
  tail.writeUInt16BE(1, 2)
  return Buffer.concat([header, qname, tail])
}

/** A possibly compressed name (RFC 1035 §4.1.4); undefined when malformed or looping. */
export const readName = (
  message: Buffer,
  start: number
): { readonly name: string; readonly next: number } | undefined => {
  const labels: Array<string> = []
  let offset = start
  let next: number | undefined
  for (let jumps = 0; jumps <= 64;) {
    const size = message[offset]
    if (size === undefined) return undefined
    if ((size & 0xc0) === 0xc0) {
      const low = message[offset + 1]
      if (low === undefined) return undefined
      next ??= offset + 2
      offset = ((size & 0x3f) << 8) | low
      jumps++
      continue
    }
    if ((size & 0xc0) !== 0) return undefined
    if (size === 0) return { name: labels.join("."), next: next ?? offset + 1 }
    if (offset + 1 + size > message.length) return undefined
    labels.push(message.toString("latin1", offset + 1, offset + 1 + size))
    offset += size + 1
  }
  return undefined
}

const ipv6 = (bytes: Buffer) => {
  const words: Array<string> = []
  for (let i = 0; i < 16; i += 2) words.push(bytes.readUInt16BE(i).toString(16))
  return words.join(":")
}

const readData = (message: Buffer, type: number, start: number, length: number): RecordData | undefined => {
  const end = start + length
  const name = (offset: number) => readName(message, offset)
  switch (type) {
    case rrTypes.A:
      return length === 4 ? { type: "A", address: Array.from(message.subarray(start, end)).join(".") } : undefined
    case rrTypes.AAAA:
      return length === 16 ? { type: "AAAA", address: ipv6(message.subarray(start, end)) } : undefined
    case rrTypes.NS:
    case rrTypes.CNAME:
    case rrTypes.PTR: {
      const target = name(start)
      const kind = type === rrTypes.NS ? "NS" : type === rrTypes.CNAME ? "CNAME" : "PTR"
      return target === undefined ? undefined : { type: kind, name: target.name }
    }
    case rrTypes.MX: {
      const exchange = length >= 3 ? name(start + 2) : undefined
      return exchange === undefined
        ? undefined
        : { type: "MX", priority: message.readUInt16BE(start), exchange: exchange.name }
    }
    case rrTypes.TXT: {
      const strings: Array<string> = []
      for (let offset = start; offset < end;) {
        const size = message[offset] ?? 0
        strings.push(message.toString("utf8", offset + 1, Math.min(end, offset + 1 + size)))
        offset += size + 1
      }
      return { type: "TXT", strings }
    }
    case rrTypes.SOA: {
      const mname = name(start)
      const rname = mname === undefined ? undefined : name(mname.next)
      if (mname === undefined || rname === undefined || rname.next + 20 > end) return undefined
      return { type: "SOA", mname: mname.name, rname: rname.name, serial: message.readUInt32BE(rname.next) }
    }
    default:
      return { type: "OTHER", code: type }
  }
}

/** The header and answer records of a message; undefined when it is malformed. */
export const decodeMessage = (message: Buffer): Message | undefined => {
  if (message.length < 12) return undefined
  const questions = message.readUInt16BE(4)
  const answerCount = message.readUInt16BE(6)
  let offset = 12
  for (let i = 0; i < questions; i++) {
    const name = readName(message, offset)
    if (name === undefined) return undefined
    offset = name.next + 4
  }
  const answers: Array<ResourceRecord> = []
  for (let i = 0; i < answerCount; i++) {
    const owner = readName(message, offset)
    if (owner === undefined || owner.next + 10 > message.length) return undefined
    const type = message.readUInt16BE(owner.next)
    const ttl = message.readUInt32BE(owner.next + 4)
    const length = message.readUInt16BE(owner.next + 8)
    const start = owner.next + 10
    if (start + length > message.length) return undefined
    const data = readData(message, type, start, length)
    if (data === undefined) return undefined
    answers.push({ name: owner.name, ttl, data })
    offset = start + length
  }
  const flags = message.readUInt16BE(2)
  return { id: message.readUInt16BE(0), flags, rcode: flags & 0x000f, answers }
}
