/**
 * crt.sh's public certwatch database as the sandbox's, over the PostgreSQL wire protocol (v3):
 * trust authentication, and the extended query protocol (Parse, Describe, Bind, Execute, Sync) as
 * clients speak it, enough to answer the identities search of `certificate_and_identities` that
 * crt.sh's own site runs, from the sandbox's certificates. Any other statement is an error, as a
 * read-only replica with no such relation would answer.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { createServer } from "node:net"
import type { Server, Socket } from "node:net"
import type { Certificate } from "./CrtshServer.js"

export interface CertwatchServer {
  readonly port: number
  /** `postgres://guest@127.0.0.1:PORT/certwatch` */
  readonly url: string
  /** The statements parsed so far. */
  readonly statements: () => ReadonlyArray<string>
}

const textOid = 25
const int4Oid = 23

const message = (type: string, ...parts: ReadonlyArray<Buffer>) => {
  const body = Buffer.concat(parts)
  const length = Buffer.alloc(4)
  length.writeInt32BE(body.length + 4)
  return Buffer.concat([Buffer.from(type, "ascii"), length, body])
}
const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff])
const int32 = (n: number) => {
  const buffer = Buffer.alloc(4)
  buffer.writeInt32BE(n)
  return buffer
}
const cstring = (text: string) => Buffer.from(`${text}\0`, "utf8")

const ready = message("Z", Buffer.from("I"))
const error = (code: string, text: string) =>
  message("E", cstring("SERROR"), cstring("VERROR"), cstring(`C${code}`), cstring(`M${text}`), Buffer.from([0]))

const columns = [["name_value", textOid], ["certificate_id", textOid], ["certificates", int4Oid]] as const
const rowDescription = message(
  "T",
  int16(columns.length),
  ...columns.map(([name, oid]) =>
    Buffer.concat([cstring(name), int32(0), int16(0), int32(oid), int16(-1), int32(-1), int16(0)])
  )
)

/** The identities search: each in-scope name once, its lowest certificate id and how many certificates name it. */
export const identities = (
  certificates: ReadonlyArray<Certificate>,
  domain: string,
  limit: number
): ReadonlyArray<readonly [string, string, number]> => {
  const pairs = certificates
    .flatMap((certificate) => certificate.names.map((name) => [certificate.id, name.toLowerCase()] as const))
    .filter(([, name]) => name === domain || name.endsWith(`.${domain}`))
    .slice(0, limit)
  const names = new Map<string, { id: number; count: number }>()
  for (const [id, name] of pairs) {
    const current = names.get(name) ?? { id, count: 0 }
    names.set(name, { id: Math.min(current.id, id), count: current.count + 1 })
  }
  return Array.from(names, ([name, { count, id }]) => [name, String(id), count] as const)
}

/** A row; `null` is SQL NULL (length -1). */
const dataRow = (values: ReadonlyArray<string | number | null>) =>
  message(
    "D",
    int16(values.length),
    ...values.map((value) => {
      if (value === null) return int32(-1)
      const bytes = Buffer.from(String(value), "utf8")
      return Buffer.concat([int32(bytes.length), bytes])
    })
  )

/** Rows (name_value, certificate_id, certificates) a replica might send as they are: NULLs, odd text. */
export type OddRow = readonly [string | null, string | null, number | null]

/** One connection: the startup handshake, then typed messages answered in order. */
const converse = (
  socket: Socket,
  certificates: ReadonlyArray<Certificate>,
  statements: Array<string>,
  oddRows: ReadonlyArray<OddRow>
) => {
  let buffer = Buffer.alloc(0)
  let started = false
  let statement = ""
  let parameters: ReadonlyArray<string> = []
  let failed = false
  const send = (reply: Buffer) => socket.write(reply)

  const readCString = (body: Buffer, at: number) => {
    const end = body.indexOf(0, at)
    return { text: body.toString("utf8", at, end), next: end + 1 }
  }

  const bind = (body: Buffer) => {
    let at = readCString(body, readCString(body, 0).next).next
    const formats = body.readInt16BE(at)
    at += 2 + formats * 2
    const count = body.readInt16BE(at)
    at += 2
    const values: Array<string> = []
    for (let i = 0; i < count; i++) {
      const length = body.readInt32BE(at)
      at += 4
      values.push(length < 0 ? "" : body.toString("utf8", at, at + length))
      at += Math.max(0, length)
    }
    parameters = values
  }

  const isIdentitySearch = () => /certificate_and_identities/i.test(statement)

  const handle = (type: string, body: Buffer) => {
    if (failed && type !== "S" && type !== "X") return
    switch (type) {
      case "P": {
        statement = readCString(body, readCString(body, 0).next).text
        statements.push(statement)
        if (!isIdentitySearch()) {
          failed = true
          return send(error("42P01", "relation does not exist"))
        }
        return send(message("1"))
      }
      case "D":
        if (body[0] === "S".charCodeAt(0)) send(message("t", int16(2), int32(textOid), int32(int4Oid)))
        return send(rowDescription)
      case "B":
        bind(body)
        return send(message("2"))
      case "E": {
        const rows = [
          ...identities(certificates, (parameters[0] ?? "").toLowerCase(), Number(parameters[1] ?? "10000")),
          ...oddRows
        ]
        for (const row of rows) send(dataRow(row))
        return send(message("C", cstring(`SELECT ${rows.length}`)))
      }
      case "S":
        failed = false
        return send(ready)
      case "Q":
        statements.push(readCString(body, 0).text)
        send(error("0A000", "only the extended query protocol is served"))
        return send(ready)
      case "X":
        return socket.end()
      default:
        return undefined
    }
  }

  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk])
    for (;;) {
      if (!started) {
        if (buffer.length < 8 || buffer.length < buffer.readInt32BE(0)) return
        const length = buffer.readInt32BE(0)
        const code = buffer.readInt32BE(4)
        buffer = buffer.subarray(length)
        // No TLS here: a client asking for it is told so and starts again in the clear.
        if (code === 80877103) {
          socket.write("N")
          continue
        }
        started = true
        send(Buffer.concat([
          message("R", int32(0)),
          message("S", cstring("server_version"), cstring("16.4")),
          message("S", cstring("client_encoding"), cstring("UTF8")),
          message("K", int32(4242), int32(7)),
          ready
        ]))
        continue
      }
      if (buffer.length < 5) return
      const length = buffer.readInt32BE(1)
      if (buffer.length < length + 1) return
      const type = String.fromCharCode(buffer[0]!)
      const body = buffer.subarray(5, length + 1)
      buffer = buffer.subarray(length + 1)
      handle(type, body)
    }
  })
  socket.on("error", () => socket.destroy())
}

/**
 * Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. `oddRows` are appended to every
 * identity search's answer, for tests of what a module does with rows that do not fit.
 */
export const make = (
  certificates: ReadonlyArray<Certificate>,
  options: { readonly oddRows?: ReadonlyArray<OddRow> } = {}
): Effect.Effect<CertwatchServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const statements: Array<string> = []
    const open = new Set<Socket>()
    const server = yield* Effect.acquireRelease(
      Effect.async<Server>((resume) => {
        const server = createServer((socket) => {
          open.add(socket)
          socket.on("close", () => open.delete(socket))
          converse(socket, certificates, statements, options.oddRows ?? [])
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          for (const socket of open) socket.destroy()
          server.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    return { port, url: `postgres://guest@127.0.0.1:${port}/certwatch`, statements: () => statements.slice() }
  })
