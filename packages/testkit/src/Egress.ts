/**
 * Records every outgoing connection this process makes while a recorder is installed: each TCP
 * connect attempt (net and tls sockets, so undici, the store drivers and raw module sockets alike),
 * each UDP send or connect (dgram), each query a c-ares resolver sends (its servers) and each name
 * handed to the system resolver. Tests use it to prove where a run's traffic went.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import dgram from "node:dgram"
import dns from "node:dns"
import { syncBuiltinESMExports } from "node:module"
import net from "node:net"
import type { Socket } from "node:net"

export interface Connection {
  readonly protocol: "tcp" | "udp" | "dns" | "system-dns"
  /** An address, or for `system-dns` the name the system resolver was asked about. */
  readonly address: string
  readonly port: number
}

export interface Recorder {
  readonly connections: () => ReadonlyArray<Connection>
}

/** The host part of "ip", "ip:port" or "[ipv6]:port" (c-ares' server strings). */
const serverAddress = (server: string): Connection => {
  if (net.isIP(server) !== 0) return { protocol: "dns", address: server, port: 53 }
  const match = /^\[(.+)\]:(\d+)$/.exec(server) ?? /^(.+):(\d+)$/.exec(server)
  return { protocol: "dns", address: match?.[1] ?? server, port: Number(match?.[2] ?? 53) }
}

const resolverMethods = [
  "resolve",
  "resolve4",
  "resolve6",
  "resolveAny",
  "resolveCaa",
  "resolveCname",
  "resolveMx",
  "resolveNaptr",
  "resolveNs",
  "resolvePtr",
  "resolveSoa",
  "resolveSrv",
  "resolveTxt",
  "reverse"
] as const

type Patchable = Record<string, unknown>
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a wrapper forwards whatever the original takes
type AnyFunction = (this: any, ...args: Array<any>) => any

/** Replaces `target[name]` with `wrap(original)` and returns how to put it back. */
const patch = (target: Patchable, name: string, wrap: (original: AnyFunction) => AnyFunction): () => void => {
  const original = target[name]
  if (typeof original !== "function") return () => undefined
  target[name] = wrap(original as AnyFunction)
  return () => {
    target[name] = original
  }
}

/** Installs the hooks for the enclosing scope; the recorder lists what they saw. */
export const record: Effect.Effect<Recorder, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => {
    const seen: Array<Connection> = []
    const add = (connection: Connection) => {
      seen.push(connection)
    }
    // Every client socket connects through Socket#connect (net.connect, tls.connect and `new Socket().connect`
    // alike); its `connectionAttempt` names each address actually tried, after any lookup.
    const watched = new WeakSet<Socket>()
    const watch = (socket: Socket) => {
      if (watched.has(socket)) return
      watched.add(socket)
      socket.on("connectionAttempt", (address: string, port: number) => add({ protocol: "tcp", address, port }))
    }
    const udp = dgram.Socket.prototype as unknown as Patchable
    const resolverPrototypes = [dns.Resolver.prototype, dns.promises.Resolver.prototype] as unknown as Array<Patchable>
    const restores = [
      patch(
        net.Socket.prototype as unknown as Patchable,
        "connect",
        (original) =>
          function(this: Socket, ...args: Array<unknown>) {
            watch(this)
            return original.apply(this, args)
          }
      ),
      patch(udp, "send", (original) =>
        function(this: dgram.Socket, ...args: Array<unknown>) {
          // send(msg, [offset, length,] port, address, callback)
          const port = args.find((arg, i) => i > 0 && typeof arg === "number" && typeof args[i + 1] === "string")
          const address = args.find((arg, i) => i > 0 && typeof arg === "string")
          if (typeof port === "number" && typeof address === "string") add({ protocol: "udp", address, port })
          return original.apply(this, args)
        }),
      patch(
        udp,
        "connect",
        (original) =>
          function(this: dgram.Socket, port: number, address?: string, ...rest: Array<unknown>) {
            add({ protocol: "udp", address: address ?? "127.0.0.1", port })
            return original.call(this, port, address, ...rest)
          }
      ),
      ...resolverPrototypes.flatMap((prototype) =>
        resolverMethods.map((method) =>
          patch(
            prototype,
            method,
            (original) =>
              function(this: { getServers(): Array<string> }, ...args: Array<unknown>) {
                for (const server of this.getServers()) add(serverAddress(server))
                return original.apply(this, args)
              }
          )
        )
      ),
      // The module-level resolve functions are bound to the default resolver: they ask the system's servers.
      ...[dns as unknown as Patchable, dns.promises as unknown as Patchable].flatMap((target) =>
        resolverMethods.map((method) =>
          patch(target, method, (original) =>
            function(this: unknown, ...args: Array<unknown>) {
              for (const server of dns.getServers()) add(serverAddress(server))
              return original.apply(this, args)
            })
        )
      ),
      ...[dns as unknown as Patchable, dns.promises as unknown as Patchable].map((target) =>
        patch(target, "lookup", (original) =>
          function(this: unknown, hostname: string, ...rest: Array<unknown>) {
            if (net.isIP(hostname) === 0 && hostname !== "localhost") {
              add({ protocol: "system-dns", address: hostname, port: 53 })
            }
            return original.call(this, hostname, ...rest)
          })
      )
    ]
    syncBuiltinESMExports()
    return {
      recorder: { connections: () => seen.slice() },
      uninstall: () => {
        for (const restore of restores) restore()
        syncBuiltinESMExports()
      }
    }
  }),
  ({ uninstall }) => Effect.sync(uninstall)
).pipe(Effect.map(({ recorder }) => recorder))
