/**
 * The DNS wire format for conversations node:dns does not offer (AXFR over TCP), on `dns-packet`: a query for one
 * question, and the records of a response read into the few shapes modules use.
 */
import * as DnsPacket from "dns-packet"

export type RecordData =
  | { readonly type: "A" | "AAAA"; readonly address: string }
  | { readonly type: "NS" | "CNAME" | "PTR"; readonly name: string }
  | { readonly type: "MX"; readonly priority: number; readonly exchange: string }
  | { readonly type: "TXT"; readonly strings: ReadonlyArray<string> }
  | { readonly type: "SOA"; readonly mname: string; readonly rname: string; readonly serial: number }
  | { readonly type: "OTHER"; readonly code: string }

export interface ResourceRecord {
  readonly name: string
  readonly ttl: number
  readonly data: RecordData
}

export interface Message {
  readonly id: number
  /** The response code by name: `NOERROR`, `REFUSED`, `NOTAUTH`, ... */
  readonly rcode: string
  readonly answers: ReadonlyArray<ResourceRecord>
}

/** A query for one question, class IN, recursion not desired (we ask authorities), framed for TCP. */
export const encodeQuery = (id: number, name: string, type: DnsPacket.RecordType): Buffer =>
  DnsPacket.streamEncode({ type: "query", id, flags: 0, questions: [{ type, name: name.replace(/\.$/, "") }] })

const text = (value: string | Buffer | ReadonlyArray<string | Buffer>): ReadonlyArray<string> =>
  (Array.isArray(value) ? value : [value]).map((part: string | Buffer) => part.toString())

const dataOf = (answer: DnsPacket.Answer): RecordData => {
  switch (answer.type) {
    case "A":
    case "AAAA":
      return { type: answer.type, address: answer.data }
    case "NS":
    case "CNAME":
    case "PTR":
      return { type: answer.type, name: answer.data }
    case "MX":
      return { type: "MX", priority: answer.data.preference ?? 0, exchange: answer.data.exchange }
    case "TXT":
      return { type: "TXT", strings: text(answer.data) }
    case "SOA":
      return { type: "SOA", mname: answer.data.mname, rname: answer.data.rname, serial: answer.data.serial ?? 0 }
    default:
      return { type: "OTHER", code: answer.type }
  }
}

/** The header and answer records of one message (without its TCP length); undefined when it is malformed. */
export const decodeMessage = (message: Buffer): Message | undefined => {
  try {
    const decoded = DnsPacket.decode(message)
    return {
      id: decoded.id ?? 0,
      // dns-packet names the response code (`rcode`) but its type declarations leave it out.
      rcode: (decoded as { readonly rcode?: string }).rcode ?? "NOERROR",
      answers: (decoded.answers ?? []).map((answer) => ({
        name: answer.name,
        ttl: "ttl" in answer ? answer.ttl ?? 0 : 0,
        data: dataOf(answer)
      }))
    }
  } catch {
    return undefined
  }
}
